// Renders accepted before the render index existed have no references, due time or
// external_id entry: found once, when a worker first starts with this version, by a
// SCAN of the render records, and indexed as accept would have. A marker key makes it
// run once per Redis; running it again is harmless (indexing is idempotent).
import type { Redis } from 'ioredis';
import type { RenderMeta } from '../render/records.ts';
import { indexKey, indexRender } from '../render/render-index.ts';

const MARKER = 'kasane:retention:indexed-v1';

/** Indexes every render record without an index entry; returns how many. `force` ignores the marker. */
export async function indexExistingRenders(redis: Redis, secret: Buffer, graceSec: number, opts: { force?: boolean } = {}): Promise<number> {
  if (!opts.force && (await redis.exists(MARKER))) return 0;
  let indexed = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'kasane:render:*', 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const id = key.slice('kasane:render:'.length);
      if (id.includes(':') || (await redis.exists(indexKey(id)))) continue;
      const raw = await redis.hget(key, 'meta');
      if (!raw) continue;
      await indexRender(redis, JSON.parse(raw) as RenderMeta, secret, graceSec);
      indexed++;
    }
  } while (cursor !== '0');
  await redis.set(MARKER, new Date().toISOString());
  return indexed;
}
