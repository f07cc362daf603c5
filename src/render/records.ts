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
  /** The connector (MA tool integration) the render came through, if any: events are routed by it. */
  connector?: string;
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
  /** The part (BullMQ job) that renders or will render the next segments: a viewer's bump goes straight to it. */
  part: number;
}

export const READY_CHANNEL = 'kasane:segment-ready';
const GRACE_SEC = 24 * 3600;
/** The render's hash; viewing facts (src/events/views.ts) live in it too, so they expire with it. */
export const renderKey = (id: string) => `kasane:render:${id}`;
const key = renderKey;

// Create only if absent, atomically; a retry from an MA tool gets the first record back.
// A record kept past its link's expiry (the grace period) is renewed instead: the same
// render with the new request's token and expiry, so a repeat never hands back a dead link.
// Returns false when created, else {renewed 0|1, meta}.
const CREATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local old = redis.call('HGET', KEYS[1], 'meta')
  if old and cjson.decode(old).expiresAt > tonumber(ARGV[5]) then return {0, old} end
  redis.call('HSET', KEYS[1], 'meta', ARGV[1])
  if not old then redis.call('HSET', KEYS[1], 'data', ARGV[2], 'state', ARGV[3], 'attempts', 0) end
  redis.call('EXPIREAT', KEYS[1], ARGV[4])
  return {1, ARGV[1]}
end
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'data', ARGV[2], 'state', ARGV[3], 'attempts', 0)
redis.call('EXPIREAT', KEYS[1], ARGV[4])
return false`;

/** A repeat whose link has less than this left gets a fresh link rather than one about to die. */
const RENEW_MARGIN_SEC = 60;

const START_LAZY_LUA = `
if redis.call('HGET', KEYS[1], 'state') == 'lazy' then redis.call('HSET', KEYS[1], 'state', 'queued') return 1 end
return 0`;

// Fields written after a job ended (a failure recorded from the worker's 'failed' event)
// must not bring back a record deleted meanwhile (src/retention).
const SET_IF_EXISTS_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

type Scripted = Redis & {
  kasaneSetIfExists(key: string, ...fieldValues: Array<string | number>): Promise<number>;
  kasaneCreateRender(key: string, meta: string, data: string, state: string, expireAt: string, renewBefore: string): Promise<[number, string] | null>;
  kasaneStartLazy(key: string): Promise<number>;
};

export class RenderStore {
  private readonly redis: Scripted;

  constructor(redis: Redis) {
    // EVALSHA via defineCommand: the script body is not resent on every accept.
    if (!('kasaneCreateRender' in redis)) {
      redis.defineCommand('kasaneCreateRender', { numberOfKeys: 1, lua: CREATE_LUA });
      redis.defineCommand('kasaneStartLazy', { numberOfKeys: 1, lua: START_LAZY_LUA });
      redis.defineCommand('kasaneSetIfExists', { numberOfKeys: 1, lua: SET_IF_EXISTS_LUA });
    }
    this.redis = redis as Scripted;
  }

  /**
   * Returns null when created, or the existing record's meta when it already existed
   * (`renewed`: its link had expired or was about to, so it now carries `meta`'s token and expiry).
   */
  async createIfAbsent(meta: RenderMeta, data: Record<string, unknown>, state: RenderState): Promise<(RenderMeta & { renewed: boolean }) | null> {
    const renewBefore = Math.floor(Date.now() / 1000) + RENEW_MARGIN_SEC;
    const existing = await this.redis.kasaneCreateRender(key(meta.id), JSON.stringify(meta), JSON.stringify(data), state, String(meta.expiresAt + GRACE_SEC), String(renewBefore));
    return existing ? { ...(JSON.parse(existing[1]) as RenderMeta), renewed: existing[0] === 1 } : null;
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
      part: Number(h.part ?? 0),
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

  /** Which part's job holds the render's remaining segments (set before that job is added). */
  async setPart(id: string, part: number): Promise<void> {
    await this.redis.hset(key(id), 'part', part);
  }

  async part(id: string): Promise<number> {
    return Number((await this.redis.hget(key(id), 'part')) ?? 0);
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
    await this.redis.kasaneSetIfExists(key(id), 'error', message, ...(final ? ['state', 'failed', 'finishedAt', String(Date.now())] : ['state', 'queued']));
  }
}
