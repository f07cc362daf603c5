import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

/** Bearer-key check in constant time (keys are compared as hashes, so lengths never leak). */
export function makeAuth(keys: string[]) {
  const digests = keys.map((k) => createHash('sha256').update(k).digest());
  return async (req: FastifyRequest) => {
    const h = req.headers.authorization;
    const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
    if (!m) throw new ApiError(401, 'unauthorized', 'missing "Authorization: Bearer <api key>" header', undefined, { 'www-authenticate': 'Bearer' });
    const d = createHash('sha256').update(m[1]!).digest();
    if (!digests.some((k) => timingSafeEqual(k, d))) throw new ApiError(401, 'unauthorized', 'unknown API key', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
  };
}
