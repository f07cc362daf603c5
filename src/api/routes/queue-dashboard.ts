// /admin/queues: bull-board, a dashboard of the render, prepare, webhook and batch
// queues (waiting, active, failed jobs; retry, clean), for admin keys only.
// A browser cannot send a Bearer header to a page it opens, so the admin key is
// also accepted as the HTTP Basic password (the browser asks; any user name);
// scripts send the usual Bearer header. In its own encapsulated context: the key
// check and the no-third-party rules below apply to these routes only.
import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { withScope } from '../auth.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** The page asks for Google Fonts; the dashboard works with the system fonts and stays on this origin. */
const EXTERNAL_FONTS = /<link[^>]+fonts\.googleapis\.com[^>]*>/g;
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

export function queueDashboardRoutes(app: FastifyInstance, queues: Queue[]) {
  // Admin only; the key is also taken as the HTTP Basic password (src/api/auth.ts answers with the Basic challenge).
  const dashboard = withScope('admin', async (admin) => {
    admin.addHook('onSend', async (_req, reply, payload) => {
      reply.header('content-security-policy', CSP);
      if (typeof payload === 'string' && String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload.replace(EXTERNAL_FONTS, '');
      return payload;
    });
    const server = new FastifyAdapter();
    server.setBasePath(QUEUE_DASHBOARD_PATH);
    // @bull-board/fastify pins its own patch release of @bull-board/api: same shapes, separate type declarations.
    createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: server as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'], options: { uiConfig: { boardTitle: 'Kasane queues' } } });
    await admin.register(server.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
  }, { basicAuth: true });
  void app.register(dashboard);
}
