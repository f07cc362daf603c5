// Webhook endpoints in Redis (one hash each), shared by every API and worker process.
// The signing secret is stored here and handed out once, at creation or rotation.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EventType } from './types.ts';

export interface Endpoint {
  id: string;
  url: string;
  events: EventType[];
  /** Only renders made through this connector (unset: all renders). */
  connector?: string;
  description?: string;
  enabled: boolean;
  /** whsec_… (Standard Webhooks): base64 of 24 random bytes. */
  secret: string;
  createdAt: string;
  /** Why the endpoint was disabled by us (failing for days); unset when an operator disabled it. */
  disabledReason?: string;
  /** Epoch ms of the first failed attempt since the last success. */
  failingSince?: number;
}

export type EndpointChange = Partial<Pick<Endpoint, 'url' | 'events' | 'description' | 'enabled'>> & { connector?: string | null };

const SET = 'kasane:wh:endpoints';
const key = (id: string) => `kasane:wh:endpoint:${id}`;
/** Starts the failure streak if none and returns its start (epoch ms); -1 when the endpoint is gone. */
const STREAK_START = `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSETNX', KEYS[1], 'failingSince', ARGV[1])
return redis.call('HGET', KEYS[1], 'failingSince')`;
export const logKey = (id: string) => `kasane:wh:log:${id}`;

export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** What GET shows instead of the secret: enough to tell two secrets apart, useless for signing. */
export function secretHint(secret: string): string {
  return `whsec_…${secret.slice(-4)}`;
}

function fromHash(id: string, h: Record<string, string>): Endpoint | null {
  if (!h.url) return null;
  return {
    id,
    url: h.url,
    events: JSON.parse(h.events ?? '[]') as EventType[],
    connector: h.connector || undefined,
    description: h.description || undefined,
    enabled: h.enabled === '1',
    secret: h.secret!,
    createdAt: h.createdAt!,
    disabledReason: h.disabledReason || undefined,
    failingSince: h.failingSince ? Number(h.failingSince) : undefined,
  };
}

export class EndpointStore {
  constructor(private readonly redis: Redis) {}

  async create(e: { url: string; events: EventType[]; connector?: string; description?: string }): Promise<Endpoint> {
    const ep: Endpoint = { id: `ep_${randomBytes(12).toString('base64url')}`, enabled: true, secret: newSecret(), createdAt: new Date().toISOString(), ...e };
    await this.redis
      .multi()
      .hset(key(ep.id), {
        url: ep.url,
        events: JSON.stringify(ep.events),
        enabled: '1',
        secret: ep.secret,
        createdAt: ep.createdAt,
        ...(ep.connector ? { connector: ep.connector } : {}),
        ...(ep.description ? { description: ep.description } : {}),
      })
      .sadd(SET, ep.id)
      .exec();
    return ep;
  }

  async get(id: string): Promise<Endpoint | null> {
    return fromHash(id, await this.redis.hgetall(key(id)));
  }

  async list(): Promise<Endpoint[]> {
    const ids = (await this.redis.smembers(SET)).sort();
    const all = await Promise.all(ids.map((id) => this.get(id)));
    return all.filter((e): e is Endpoint => e !== null).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Applies a change; re-enabling clears the disabled reason and the failure streak. Null when unknown. */
  async update(id: string, c: EndpointChange & { rotateSecret?: boolean }): Promise<Endpoint | null> {
    if (!(await this.redis.exists(key(id)))) return null;
    const set: Record<string, string> = {};
    const del: string[] = [];
    if (c.url !== undefined) set.url = c.url;
    if (c.events !== undefined) set.events = JSON.stringify(c.events);
    if (c.description !== undefined) set.description = c.description;
    if (c.connector === null) del.push('connector');
    else if (c.connector !== undefined) set.connector = c.connector;
    if (c.enabled !== undefined) {
      set.enabled = c.enabled ? '1' : '0';
      del.push('disabledReason', 'failingSince');
    }
    if (c.rotateSecret) set.secret = newSecret();
    const m = this.redis.multi();
    if (Object.keys(set).length) m.hset(key(id), set);
    if (del.length) m.hdel(key(id), ...del);
    await m.exec();
    return this.get(id);
  }

  async remove(id: string): Promise<boolean> {
    const [[, n]] = (await this.redis.multi().del(key(id)).srem(SET, id).del(logKey(id)).exec()) as [[unknown, number], ...unknown[]];
    return n === 1;
  }

  /** A delivery got a 2xx: the failure streak ends. */
  async recordSuccess(id: string): Promise<void> {
    await this.redis.hdel(key(id), 'failingSince');
  }

  /**
   * A delivery attempt failed: starts the streak if none, and disables the endpoint once
   * the streak is older than `disableAfterMs`. True when this call disabled it.
   */
  async recordFailure(id: string, disableAfterMs: number, now = Date.now()): Promise<boolean> {
    // One script: a success recorded between separate commands (deliveries run concurrently) would
    // leave no start, read as 0 = "failing since 1970", and disable a healthy endpoint.
    const since = Number(await this.redis.eval(STREAK_START, 1, key(id), String(now)));
    if (since < 0 || now - since < disableAfterMs) return false;
    const days = Math.round((now - since) / 86_400_000);
    await this.redis.hset(key(id), 'enabled', '0', 'disabledReason', `disabled automatically: every delivery failed for ${days} day(s) since ${new Date(since).toISOString()}`);
    return true;
  }
}
