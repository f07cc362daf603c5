// While Redis is unreachable (a restart, a failover) a request waits for it a little
// (KASANE_REDIS_WAIT_MS), so a short restart is invisible, then gets 503 + Retry-After:
// without this it would hang until Redis is back (commands queue for ever, by design,
// so that work in flight survives a restart). /healthz answers on its own, at once.
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiError } from './errors.ts';
import { readyWithin } from '../queue/connection.ts';
import { CORS } from './routes/viewer.ts';

export function redisGate(redis: Redis, waitMs: number) {
  return async (req: FastifyRequest): Promise<void> => {
    if (redis.status === 'ready' || req.url === '/healthz') return;
    if (await readyWithin(redis, waitMs)) return;
    // Players read the viewer routes' answers across origins: they need CORS to see the Retry-After.
    const viewer = req.url.startsWith('/v/') || req.url.startsWith('/s/');
    throw new ApiError(503, 'unavailable', 'the service cannot reach its database right now; retry shortly', undefined, { ...(viewer ? CORS : {}), 'retry-after': '5' });
  };
}
