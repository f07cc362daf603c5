import { Redis, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';

export type RedisTarget = { url: string } | { socket: string };

/**
 * Reconnect at most 2 s after Redis is back, every connection. BullMQ's own default backs
 * off to 20 s: after a restart of some seconds its connections stayed away that long, and
 * one closed while it waited to reconnect never finished closing (ioredis emits no 'end'
 * then), so an API could not stop after a Redis restart (test/chaos.test.ts).
 */
const retryStrategy = (attempt: number) => Math.min(attempt * 100, 2000);

export function redisOptions(t: RedisTarget): RedisOptions {
  if ('socket' in t) return { path: t.socket, maxRetriesPerRequest: null, retryStrategy };
  const u = new URL(t.url);
  // unix:///run/redis/redis.sock?db=1 — a Redis on this machine reached through its socket.
  if (u.protocol === 'unix:') return { path: decodeURIComponent(u.pathname), db: Number(u.searchParams.get('db') ?? 0), maxRetriesPerRequest: null, retryStrategy };
  return {
    retryStrategy,
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

export function connect(t: RedisTarget): Redis {
  return new Redis(redisOptions(t));
}

/** The same options in the type BullMQ declares (structurally equal to ioredis's). */
export function bullConnection(t: RedisTarget): ConnectionOptions {
  return redisOptions(t) as ConnectionOptions;
}

/**
 * Whether Redis answers now: 'ok', or why not. Commands otherwise wait for a reconnect
 * for ever (maxRetriesPerRequest: null), which is right for work, wrong for a health check.
 */
export async function pingWithin(redis: Redis, ms: number): Promise<string> {
  if (redis.status !== 'ready') return `redis ${redis.status}`;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r(`redis did not answer within ${ms} ms`), ms)));
  try {
    return await Promise.race([redis.ping().then(() => 'ok', (e: Error) => e.message.split('\n')[0]!.slice(0, 200)), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** One 'ready' listener per connection however many requests wait on it (no listener pile-up during an outage). */
const nextReady = new WeakMap<Redis, Promise<void>>();

/** True once the connection is ready (at once when it is), false when `ms` pass first. */
export async function readyWithin(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  let ready = nextReady.get(redis);
  if (!ready) {
    ready = new Promise<void>((resolve) =>
      redis.once('ready', () => {
        nextReady.delete(redis);
        resolve();
      }),
    );
    nextReady.set(redis, ready);
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([ready.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
