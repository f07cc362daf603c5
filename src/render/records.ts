// Render records in Redis: shared by every API and worker process, so no
// process keeps anything in memory that another one needs.
import type { Redis } from 'ioredis';

export type RenderState = 'lazy' | 'queued' | 'rendering' | 'done' | 'failed';
export type RenderMode = 'eager' | 'lazy';

export interface RenderMeta {
  id: string;
  templateId: string;
  version: string;
  mode: RenderMode;
  externalId?: string;
  createdAt: string;
  /** Unix seconds. */
  expiresAt: number;
  token: string;
  /** Dynamic segment index → storage key (content-addressed). */
  segKeys: Record<string, string>;
}

export interface RenderRecord extends RenderMeta {
  state: RenderState;
  error?: string;
  attempts: number;
  readySegments: Record<string, number>;
  /** Dynamic segments that already existed because someone had identical overlays. */
  sharedSegments: Record<string, boolean>;
  startedAt?: number;
  finishedAt?: number;
}

export const READY_CHANNEL = 'kasane:segment-ready';
const GRACE_SEC = 24 * 3600;
const key = (id: string) => `kasane:render:${id}`;

// Create only if absent, atomically; a retry from an MA tool gets the first record back.
const CREATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGET', KEYS[1], 'meta') end
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'data', ARGV[2], 'state', ARGV[3], 'attempts', 0)
redis.call('EXPIREAT', KEYS[1], ARGV[4])
return false`;

const START_LAZY_LUA = `
if redis.call('HGET', KEYS[1], 'state') == 'lazy' then redis.call('HSET', KEYS[1], 'state', 'queued') return 1 end
return 0`;

type Scripted = Redis & {
  kasaneCreateRender(key: string, meta: string, data: string, state: string, expireAt: string): Promise<string | null>;
  kasaneStartLazy(key: string): Promise<number>;
};

export class RenderStore {
  private readonly redis: Scripted;

  constructor(redis: Redis) {
    // EVALSHA via defineCommand: the script body is not resent on every accept.
    if (!('kasaneCreateRender' in redis)) {
      redis.defineCommand('kasaneCreateRender', { numberOfKeys: 1, lua: CREATE_LUA });
      redis.defineCommand('kasaneStartLazy', { numberOfKeys: 1, lua: START_LAZY_LUA });
    }
    this.redis = redis as Scripted;
  }

  /** Returns null when created, or the existing record's meta when it already existed. */
  async createIfAbsent(meta: RenderMeta, data: Record<string, unknown>, state: RenderState): Promise<RenderMeta | null> {
    const existing = await this.redis.kasaneCreateRender(key(meta.id), JSON.stringify(meta), JSON.stringify(data), state, String(meta.expiresAt + GRACE_SEC));
    return existing ? (JSON.parse(existing) as RenderMeta) : null;
  }

  async get(id: string): Promise<RenderRecord | null> {
    const h = await this.redis.hgetall(key(id));
    if (!h.meta) return null;
    const ready: Record<string, number> = {};
    const shared: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(h)) {
      if (k.startsWith('seg:')) ready[k.slice(4)] = Number(v);
      if (k.startsWith('shared:')) shared[k.slice(7)] = true;
    }
    return {
      ...(JSON.parse(h.meta) as RenderMeta),
      state: (h.state as RenderState) ?? 'queued',
      error: h.error || undefined,
      attempts: Number(h.attempts ?? 0),
      readySegments: ready,
      sharedSegments: shared,
      startedAt: h.startedAt ? Number(h.startedAt) : undefined,
      finishedAt: h.finishedAt ? Number(h.finishedAt) : undefined,
    };
  }

  async meta(id: string): Promise<RenderMeta | null> {
    const m = await this.redis.hget(key(id), 'meta');
    return m ? (JSON.parse(m) as RenderMeta) : null;
  }

  async state(id: string): Promise<RenderState | null> {
    return (await this.redis.hget(key(id), 'state')) as RenderState | null;
  }

  /** Personal data, read only by the worker that draws it. */
  async data(id: string): Promise<Record<string, unknown> | null> {
    const d = await this.redis.hget(key(id), 'data');
    return d ? (JSON.parse(d) as Record<string, unknown>) : null;
  }

  /** Flips a lazy render to queued exactly once; true for the caller that won. */
  async startLazy(id: string): Promise<boolean> {
    return (await this.redis.kasaneStartLazy(key(id))) === 1;
  }

  /** `continued`: a later part of a render already started; its start time stays. */
  async markStarted(id: string, attempt: number, continued = false): Promise<void> {
    await this.redis.hset(key(id), 'state', 'rendering', 'attempts', attempt, ...(continued ? [] : ['startedAt', Date.now()]));
    await this.redis.hdel(key(id), 'error');
  }

  /** First report wins: a later part or a retry finding the segment again keeps its time and origin. */
  async markSegment(id: string, index: number, storageKey: string, shared = false): Promise<void> {
    if ((await this.redis.hsetnx(key(id), `seg:${index}`, Date.now())) === 1 && shared) await this.redis.hset(key(id), `shared:${index}`, '1');
    await this.redis.publish(READY_CHANNEL, storageKey);
  }

  async markDone(id: string): Promise<void> {
    await this.redis.hset(key(id), 'state', 'done', 'finishedAt', Date.now());
  }

  async markError(id: string, message: string, final: boolean): Promise<void> {
    await this.redis.hset(key(id), 'error', message, ...(final ? ['state', 'failed', 'finishedAt', String(Date.now())] : ['state', 'queued']));
  }
}
