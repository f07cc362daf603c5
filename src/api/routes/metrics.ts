// GET /metrics: the Prometheus exposition behind the admin key. A scraper that
// cannot send a key uses the metrics port instead (KASANE_METRICS_PORT).
import type { FastifyInstance } from 'fastify';
import { exposition } from '../../metrics/index.ts';

export function metricsRoutes(app: FastifyInstance) {
  app.get('/metrics', { config: { scope: 'admin' } }, async (_req, reply) => {
    const m = await exposition();
    return reply.header('content-type', m.contentType).header('cache-control', 'no-store').send(m.body);
  });
}
