// Deleting everything stored for one render (DELETE /v1/renders…, and the expiry sweep):
// its record (the person's data), its index entries, viewing keys, webhook messages,
// BullMQ jobs, and the stored objects (personal segments, posters, GIFs, MP4s) that no
// other render still uses. Content-addressed objects are shared by people with identical
// overlays, so each object's set of referencing renders decides (src/render/render-index.ts).
import type { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { ApiError } from '../config/api-error.ts';
import type { Storage } from '../storage/storage.ts';
import { renderKey, type RenderMeta } from '../render/records.ts';
import { DUE, externalIdHash, externalIdKey, indexKey, objectsKey, RECENT, recentKey, refsKey, tombstoneKey } from '../render/render-index.ts';
import { msgKey, renderMessagesKey, renderViewKeys } from '../events/index.ts';
import { renderJobId, type RenderQueue } from '../queue/queues.ts';

export interface DeletionDeps {
  redis: Redis;
  storage: Storage;
  renderQueue: RenderQueue;
  /** Hashes external_id for its index. */
  contentSecret: Buffer;
}

export interface DeletionCounts {
  /** Redis keys removed (record, indexes, viewing keys, webhook messages). */
  redis_keys: number;
  /** Stored objects removed: personal segments, images and MP4s no other render uses. */
  objects: number;
  /** Stored objects kept because another render still uses them (same overlays). */
  shared_objects_kept: number;
  /** Render jobs removed from the queue (waiting, finished or failed). */
  jobs: number;
  /** Webhook messages (bodies with the render's link and external_id) removed. */
  webhook_messages: number;
}

export const zeroCounts = (): DeletionCounts => ({ redis_keys: 0, objects: 0, shared_objects_kept: 0, jobs: 0, webhook_messages: 0 });

export function addCounts(a: DeletionCounts, b: DeletionCounts): DeletionCounts {
  return { redis_keys: a.redis_keys + b.redis_keys, objects: a.objects + b.objects, shared_objects_kept: a.shared_objects_kept + b.shared_objects_kept, jobs: a.jobs + b.jobs, webhook_messages: a.webhook_messages + b.webhook_messages };
}

// KEYS: the refs sets of the render's objects. ARGV[1]: render id. Drops the render from
// each; returns the 1-based positions of objects no render uses any more. One script, so
// an accept adding a reference either lands before (the object is kept) or after (its
// render finds the object gone and renders it again).
const RELEASE_LUA = `
local freed = {}
for i, k in ipairs(KEYS) do
  redis.call('SREM', k, ARGV[1])
  if redis.call('SCARD', k) == 0 then table.insert(freed, i) end
end
return freed`;

type Scripted = Redis & { kasaneReleaseRefs(...args: Array<string | number>): Promise<number[]> };

function scripted(redis: Redis): Scripted {
  if (!('kasaneReleaseRefs' in redis)) redis.defineCommand('kasaneReleaseRefs', { lua: RELEASE_LUA });
  return redis as Scripted;
}

/** A render whose job is being worked on right now past the wait: deleting it then would race its writes. */
export class RenderBusyError extends ApiError {
  constructor() {
    super(409, 'render_busy', 'this render is being rendered right now; retry the deletion in a few seconds', undefined, { 'retry-after': '5' });
  }
}

/**
 * Deletes a render's data. null when nothing is known about it (never existed, or long
 * gone); zero counts when it was deleted before. `tombstone`: remember the deletion so its
 * links and status answer 410 until the link would have expired (the sweep needs none:
 * those links are expired already). A job being rendered is waited for up to `waitActiveMs`.
 */
export async function deleteRender(d: DeletionDeps, id: string, opts: { tombstone: boolean; waitActiveMs: number }): Promise<DeletionCounts | null> {
  const [metaRaw, idx, objects, tomb] = await Promise.all([
    d.redis.hget(renderKey(id), 'meta'),
    d.redis.hgetall(indexKey(id)),
    d.redis.smembers(objectsKey(id)),
    d.redis.exists(tombstoneKey(id)),
  ]);
  const meta = metaRaw ? (JSON.parse(metaRaw) as RenderMeta) : null;
  if (!meta && !idx.template && !objects.length) return tomb ? zeroCounts() : null;

  // First the jobs, so no worker writes a segment of this render after its objects are gone.
  const jobs = await cancelJobs(d, id, opts.waitActiveMs);

  // Objects the render used: released in one script, deleted from storage when freed.
  const all = [...new Set([...objects, ...Object.values(meta?.segKeys ?? {})])];
  const freed = all.length ? (await scripted(d.redis).kasaneReleaseRefs(all.length, ...all.map(refsKey), id)).map((i) => all[i - 1]!) : [];
  for (const key of freed) await d.storage.delete(key);

  const messages = await d.redis.smembers(renderMessagesKey(id));
  const template = meta?.templateId ?? idx.template;
  const xid = idx.xid ?? (meta?.externalId ? externalIdHash(d.contentSecret, meta.externalId) : undefined);
  const keys = [renderKey(id), indexKey(id), objectsKey(id), renderMessagesKey(id), ...renderViewKeys(id), ...messages.map(msgKey), ...freed.map((k) => `kasane:claim:${k}`)];
  const t = d.redis.multi().del(...keys).zrem(RECENT, id).zrem(DUE, id);
  if (template) t.zrem(recentKey(template), id);
  if (xid) t.srem(externalIdKey(xid), id);
  if (opts.tombstone) {
    const now = Math.floor(Date.now() / 1000);
    // Kept a day past the link's own expiry, as the record would have been: then the token itself says 410.
    t.set(tombstoneKey(id), JSON.stringify({ deleted_at: new Date().toISOString() }), 'EX', Math.max(meta?.expiresAt ?? now, now) - now + 24 * 3600);
  }
  const res = (await t.exec()) ?? [];
  const removedKeys = Number(res[0]?.[1] ?? 0);
  return { redis_keys: removedKeys, objects: freed.length, shared_objects_kept: all.length - freed.length, jobs, webhook_messages: messages.length };
}

/** Every render with this external_id (through its hashed index). */
export async function deleteByExternalId(d: DeletionDeps, externalId: string, opts: { waitActiveMs: number }): Promise<{ renders: string[]; deleted: DeletionCounts }> {
  const ids = (await d.redis.smembers(externalIdKey(externalIdHash(d.contentSecret, externalId)))).sort();
  let total = zeroCounts();
  const renders: string[] = [];
  for (const id of ids) {
    const c = await deleteRender(d, id, { tombstone: true, waitActiveMs: opts.waitActiveMs });
    if (c) {
      renders.push(id);
      total = addCounts(total, c);
    }
  }
  return { renders, deleted: total };
}

/**
 * Removes the render's jobs (its own and its continuations'), whatever their state, so no
 * worker picks one up and the finished ones' records go too. A job being worked on cannot
 * be removed: it is waited for (renders take seconds), then removed.
 */
async function cancelJobs(d: DeletionDeps, id: string, waitActiveMs: number): Promise<number> {
  const until = Date.now() + waitActiveMs;
  for (;;) {
    const part = Number((await d.redis.hget(renderKey(id), 'part')) ?? 0);
    const jobs: Job[] = [];
    // Parts up to the current one, then on while there are more (a continuation queued just now).
    for (let p = 0; ; p++) {
      const job = await d.renderQueue.getJob(renderJobId(id, p));
      if (job) jobs.push(job);
      else if (p > part) break;
    }
    const states = await Promise.all(jobs.map((j) => j.getState()));
    if (states.includes('active')) {
      if (Date.now() >= until) throw new RenderBusyError();
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    let removed = 0;
    for (const j of jobs) await j.remove().then(() => removed++, () => {});
    return removed;
  }
}
