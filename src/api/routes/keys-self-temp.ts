// TEMP (dropped at merge: the access helper builds the real GET /v1/keys/self with scopes).
// Every configured key is an env key, and env keys are admin keys.
import type { FastifyInstance, FastifyRequest } from 'fastify';

export function keysSelfTempRoute(app: FastifyInstance, auth: (req: FastifyRequest) => Promise<void>) {
  app.get('/v1/keys/self', { onRequest: auth, config: { scope: 'admin' } as Record<string, unknown> }, async () => ({ id: 'env', name: 'env key', scopes: ['admin'] }));
}
