// GET /metrics: the Prometheus exposition behind the admin key. A scraper that
// cannot send a key uses the metrics port instead (KASANE_METRICS_PORT).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { exposition } from '../../metrics/index.ts';
import '../route-scope.ts';

export function metricsRoutes(app: FastifyInstance, auth: (req: FastifyRequest) => Promise<void>) {
  app.get('/metrics', { onRequest: auth, config: { scope: 'admin' } }, async (_req, reply) => {
    const m = await exposition();
    return reply.header('content-type', m.contentType).header('cache-control', 'no-store').send(m.body);
  });
}
