// /admin/queues: bull-board, a dashboard of the render, prepare, webhook and batch
// queues (waiting, active, failed jobs; retry, clean), for admin keys only.
// A browser cannot send a Bearer header to a page it opens, so the admin key is
// also accepted as the HTTP Basic password (the browser asks; any user name);
// scripts send the usual Bearer header. In its own encapsulated context: the key
// check and the no-third-party rules below apply to these routes only.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { ApiError, errorBody } from '../errors.ts';
import '../route-scope.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** The page asks for Google Fonts; the dashboard works with the system fonts and stays on this origin. */
const EXTERNAL_FONTS = /<link[^>]+fonts\.googleapis\.com[^>]*>/g;
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/** "Basic base64(user:key)" → "Bearer key", so the one key check reads it (a global key hook must call this first for this path). */
export function basicAsBearer(req: FastifyRequest): void {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return;
  const pair = Buffer.from(m[1]!, 'base64').toString('utf8');
  req.headers.authorization = `Bearer ${pair.slice(pair.indexOf(':') + 1)}`;
}

export function queueDashboardRoutes(app: FastifyInstance, queues: Queue[], auth: (req: FastifyRequest) => Promise<void>) {
  void app.register(async (admin) => {
    admin.addHook('onRoute', (r) => {
      r.config = { ...r.config, scope: 'admin' };
    });
    // Answered here, not thrown: bull-board's own error handler (its context's) would make any error a 500.
    admin.addHook('onRequest', async (req, reply) => {
      basicAsBearer(req);
      try {
        await auth(req);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        // The Basic challenge makes a browser ask for the key.
        const challenge = e.status === 401 ? { 'www-authenticate': 'Basic realm="Kasane admin", charset="UTF-8"' } : {};
        const message = e.status === 401 ? 'the queue dashboard needs an admin key: as the password when the browser asks, or an "Authorization: Bearer <key>" header' : e.message;
        return reply.code(e.status).headers({ ...e.headers, ...challenge }).send(errorBody(e.code, message));
      }
    });
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
  });
}
