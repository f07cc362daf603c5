import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { createLogger, type Logger } from '../config/logger.ts';
import type { ApiContext } from './context.ts';
import { handleError, errorBody } from './errors.ts';
import { makeAuth } from './auth.ts';
import { renderRoutes } from './routes/renders.ts';
import { templateRoutes } from './routes/templates.ts';
import { viewerRoutes } from './routes/viewer.ts';

export function buildApp(ctx: ApiContext, opts: { logger?: Logger } = {}): FastifyInstance {
  const app = Fastify({
    bodyLimit: ctx.config.bodyLimit,
    // The process's one pino logger (src/config/logger.ts).
    loggerInstance: (opts.logger ?? createLogger(ctx.config.logLevel, { name: 'api' })).child({}, {
      // Viewer tokens are credentials: log the route shape, never the token or bodies.
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.replace(/\/v\/[^/]+/, '/v/<token>') }),
      },
    }) as FastifyBaseLogger, // fastify's own logger type keeps the routes' FastifyInstance type
    requestIdHeader: 'x-request-id',
    genReqId: () => Math.random().toString(36).slice(2, 12),
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.setErrorHandler(handleError);
  // Template packages arrive as multipart uploads; only the upload route reads them.
  void app.register(multipart, { limits: { fileSize: ctx.config.packageMaxBytes, files: 1, fields: 10 } });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody('not_found', `no route ${req.method} ${req.url.replace(/\/v\/[^/]+/, '/v/<token>').slice(0, 200)}`)));
  const auth = makeAuth(ctx.config.apiKeys);

  app.get('/healthz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    await ctx.redis.ping().then(() => (checks.redis = 'ok'), (e: Error) => (checks.redis = e.message));
    await ctx.storage.ping().then(() => (checks.storage = 'ok'), (e: Error) => (checks.storage = e.message));
    const ok = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ok ? 200 : 503).send({ ok, checks });
  });
  renderRoutes(app, ctx, auth);
  templateRoutes(app, ctx, auth);
  viewerRoutes(app, ctx);
  return app;
}
