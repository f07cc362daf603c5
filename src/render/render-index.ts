// What deletion and the render list need to find everything about a render, written
// next to its record at accept time. Personal segments, posters and MP4s are
// content-addressed, so people with identical overlays share one object: each
// object keeps the set of renders using it (its reference count), and an object is
// deleted only when the last of them goes. No key or value here holds personal data:
// external_id is indexed by its HMAC only.
import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { renderKey, type RenderMeta } from './records.ts';
import type { Storage } from '../storage/storage.ts';

/** Storage keys a render uses (personal segments from accept; images and MP4s once served). */
export const objectsKey = (renderId: string) => `kasane:objects:${renderId}`;
/** Render ids using one stored object. */
export const refsKey = (storageKey: string) => `kasane:refs:${storageKey}`;
/** Hash: template, created (ms), xid (external_id HMAC): what is needed after the record itself expired. */
export const indexKey = (renderId: string) => `kasane:renderidx:${renderId}`;
/** Newest-first render list (score = created ms), overall and per template. */
export const RECENT = 'kasane:renders:recent';
export const recentKey = (templateId: string) => `kasane:renders:recent:t:${templateId}`;
/** Render ids with one external_id (by its HMAC). */
export const externalIdKey = (xid: string) => `kasane:renders:xid:${xid}`;
/** When each render is due for the retention sweep (score = unix seconds). */
export const DUE = 'kasane:retention:due';
/** A deleted render: its deletion time only, so its links answer 410 until they would have expired. */
export const tombstoneKey = (renderId: string) => `kasane:deleted:${renderId}`;

/** The render lists keep this many ids; older ones drop off the list (not out of storage). */
export const RECENT_CAP = 100_000;

/** external_id can itself be personal (an email, a member number): only this keyed hash is stored as a key. */
export function externalIdHash(secret: Buffer, externalId: string): string {
  return createHmac('sha256', secret).update(`external_id\0${externalId}`).digest('base64url').slice(0, 32);
}

/**
 * Indexes an accepted render, in one transaction. Idempotent: run on every accept,
 * a retry heals an index write lost after the record was created.
 */
export async function indexRender(redis: Redis, meta: RenderMeta, secret: Buffer, graceSec: number): Promise<void> {
  const created = Date.parse(meta.createdAt);
  const objects = [...new Set(Object.values(meta.segKeys))];
  const xid = meta.externalId ? externalIdHash(secret, meta.externalId) : undefined;
  const m = redis.multi();
  m.hset(indexKey(meta.id), { template: meta.templateId, created, ...(xid ? { xid } : {}) });
  if (objects.length) m.sadd(objectsKey(meta.id), ...objects);
  for (const k of objects) m.sadd(refsKey(k), meta.id);
  m.zadd(DUE, meta.expiresAt + graceSec, meta.id);
  m.zadd(RECENT, created, meta.id).zremrangebyrank(RECENT, 0, -(RECENT_CAP + 1));
  m.zadd(recentKey(meta.templateId), created, meta.id).zremrangebyrank(recentKey(meta.templateId), 0, -(RECENT_CAP + 1));
  if (xid) m.sadd(externalIdKey(xid), meta.id);
  // Sent again after a deletion: the render exists again (its old tombstone no longer applies).
  m.del(tombstoneKey(meta.id));
  await m.exec();
}

// KEYS: render record, its objects set, the object's refs set. ARGV: storage key, render id.
// Only while the record exists: a render deleted while its poster was being served
// leaves no reference behind (which would keep the image for ever).
const ADD_REF_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 1`;

type Scripted = Redis & { kasaneAddRef(record: string, objects: string, refs: string, storageKey: string, renderId: string): Promise<number> };

/**
 * A derived object (poster, GIF, MP4) this render was served from: counted as its reference.
 * False when the render is gone (deleted meanwhile): then no render is left to count it.
 */
export async function addObjectRef(redis: Redis, renderId: string, storageKey: string): Promise<boolean> {
  if (!('kasaneAddRef' in redis)) redis.defineCommand('kasaneAddRef', { numberOfKeys: 3, lua: ADD_REF_LUA });
  return (await (redis as Scripted).kasaneAddRef(renderKey(renderId), objectsKey(renderId), refsKey(storageKey), storageKey, renderId)) === 1;
}

/** An object just made for a render that was deleted meanwhile: removed unless another render uses it. */
export async function dropIfUnreferenced(redis: Redis, storage: Storage, storageKey: string): Promise<void> {
  if (!(await redis.exists(refsKey(storageKey)))) await storage.delete(storageKey);
}

/** When the render was deleted (ISO time), or null. */
export async function deletedAt(redis: Redis, renderId: string): Promise<string | null> {
  const t = await redis.get(tombstoneKey(renderId));
  return t ? (JSON.parse(t) as { deleted_at: string }).deleted_at : null;
}
