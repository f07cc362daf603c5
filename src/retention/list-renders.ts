// GET /v1/renders: recent renders, newest first, from the capped time-ordered lists
// kept at accept (src/render/render-index.ts), never a scan of Redis. Filters by
// template (its own list), external_id (its hashed index) and state (read from the
// records: a page reads at most SCAN_CAP entries, then hands back a cursor).
import type { Redis } from 'ioredis';
import type { RenderRecord, RenderState, RenderStore } from '../render/records.ts';
import { externalIdHash, externalIdKey, indexKey, RECENT, recentKey } from '../render/render-index.ts';

export interface RenderListQuery {
  externalId?: string;
  template?: string;
  state?: RenderState;
  limit: number;
  /** From a previous page's next_cursor. */
  cursor?: string;
}

/** Entries read per request at most (a rare state over a long list pages on, cheaply). */
const SCAN_CAP = 1000;

/** "<created ms>.<render id>": the last entry the previous page read. */
export const CURSOR_PATTERN = '^[0-9]{1,15}\\.[A-Za-z0-9_-]{1,64}$';

interface Entry {
  id: string;
  created: number;
}

/** Up to n entries after `pos` (newest first; ties in one millisecond by id, descending, as Redis orders them). */
type Source = (pos: Entry | null, n: number) => Promise<Entry[]>;

const pairs = (raw: string[]): Entry[] => {
  const out: Entry[] = [];
  for (let i = 0; i < raw.length; i += 2) out.push({ id: raw[i]!, created: Number(raw[i + 1]) });
  return out;
};

function sortedSetSource(redis: Redis, key: string): Source {
  return async (pos, n) => {
    if (!pos) return pairs(await redis.zrevrangebyscore(key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, n));
    // Entries in pos's millisecond already read: those with ids from pos's up.
    const same = await redis.zrangebyscore(key, pos.created, pos.created);
    const offset = same.filter((id) => id >= pos.id).length;
    return pairs(await redis.zrevrangebyscore(key, pos.created, '-inf', 'WITHSCORES', 'LIMIT', offset, n));
  };
}

/** One external_id's renders: a small set, ordered here. */
async function externalIdSource(redis: Redis, secret: Buffer, externalId: string): Promise<Source> {
  const ids = await redis.smembers(externalIdKey(externalIdHash(secret, externalId)));
  const created = await Promise.all(ids.map((id) => redis.hget(indexKey(id), 'created')));
  const all = ids.map((id, i) => ({ id, created: Number(created[i] ?? 0) })).sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return async (pos, n) => {
    const start = pos ? all.findIndex((e) => e.created < pos.created || (e.created === pos.created && e.id < pos.id)) : 0;
    return start < 0 ? [] : all.slice(start, start + n);
  };
}

export async function listRenders(redis: Redis, store: RenderStore, secret: Buffer, q: RenderListQuery): Promise<{ items: RenderRecord[]; next_cursor: string | null }> {
  const source = q.externalId ? await externalIdSource(redis, secret, q.externalId) : sortedSetSource(redis, q.template ? recentKey(q.template) : RECENT);
  let pos: Entry | null = q.cursor ? { created: Number(q.cursor.slice(0, q.cursor.indexOf('.'))), id: q.cursor.slice(q.cursor.indexOf('.') + 1) } : null;
  const items: RenderRecord[] = [];
  const cursor = () => (pos ? `${pos.created}.${pos.id}` : null);
  for (let scanned = 0; scanned < SCAN_CAP; ) {
    const n = Math.min(Math.max(q.limit * 2, 50), SCAN_CAP - scanned);
    const page = await source(pos, n);
    scanned += page.length;
    const records = await Promise.all(page.map((e) => store.get(e.id)));
    for (let i = 0; i < page.length; i++) {
      pos = page[i]!;
      const r = records[i];
      // Gone (expired or deleted, not yet trimmed from the list) or not matching: skipped.
      if (r && (!q.template || r.templateId === q.template) && (!q.state || r.state === q.state)) items.push(r);
      if (items.length === q.limit) return { items, next_cursor: i === page.length - 1 && page.length < n ? null : cursor() };
    }
    if (page.length < n) return { items, next_cursor: null };
  }
  return { items, next_cursor: cursor() };
}
