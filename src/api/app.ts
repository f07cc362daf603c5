import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { createLogger, type Logger } from '../config/logger.ts';
import ajvErrorsModule from 'ajv-errors';
import type { Plugin } from 'ajv';
import type { ApiContext } from './context.ts';
import { handleError, frameworkError, errorBody } from './errors.ts';
import { installAuth } from './auth.ts';
import { keyRoutes } from './routes/keys.ts';
import { ApiKeyStore } from '../access/keys.ts';
import { redactUrl } from './redact-url.ts';
import { redisGate } from './redis-gate.ts';
import { pingWithin } from '../queue/connection.ts';
import { renderRoutes } from './routes/renders.ts';
import { templateRoutes } from './routes/templates.ts';
import { statsRoutes } from './routes/stats.ts';
import { viewerRoutes } from './routes/viewer.ts';
import { mp4Routes } from './routes/mp4.ts';
import { viewerImageRoutes } from './routes/viewer-images.ts';
import { viewerFallbackRoutes } from './routes/viewer-fallback.ts';
import { webhookEndpointRoutes } from './routes/webhook-endpoints.ts';
import { connectorRoutes } from './routes/connectors.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { hookRoutes } from './routes/hooks.ts';
import { ConnectorStore } from '../intake/connectors/store.ts';
import { CatalogStore } from '../intake/catalog.ts';
import { batchRoutes } from './routes/batches.ts';
import { BatchStore } from '../intake/batches/store.ts';
import { registerOpenApi } from './openapi.ts';
import { docsRoutes } from './routes/docs.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { queueDashboardRoutes } from './routes/queue-dashboard.ts';
import { consoleRoutes } from './routes/console.ts';

// A CommonJS module whose typings describe only its ESM shape: at run time the default import is the plugin.
const ajvErrors = ajvErrorsModule as unknown as Plugin<unknown>;

export async function buildApp(ctx: ApiContext, opts: { logger?: Logger } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: ctx.config.bodyLimit,
    // The process's one pino logger (src/config/logger.ts).
    loggerInstance: (opts.logger ?? createLogger(ctx.config.logLevel, { name: 'api' })).child({}, {
      // Viewer tokens and keys in query strings are credentials: log the route shape, never them or bodies.
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: redactUrl(req.url) }),
      },
    }) as FastifyBaseLogger, // fastify's own logger type keeps the routes' FastifyInstance type
    requestIdHeader: 'x-request-id',
    genReqId: () => Math.random().toString(36).slice(2, 12),
    // Routing failures (a 414 for a long path parameter, a bad percent-encoding) in our error shape.
    frameworkErrors: frameworkError,
    ajv: {
      // Every route's params, query and body are checked by its JSON Schema: report every problem
      // at once, refuse unknown properties instead of dropping them, never coerce types.
      customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: false },
      plugins: [ajvErrors],
    },
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.setErrorHandler(handleError);
  app.addHook('onRequest', redisGate(ctx.redis, ctx.config.redisWaitMs));
  // The API speaks JSON (and multipart for packages): a text/plain body is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  // Template packages arrive as multipart uploads; only the upload route reads them.
  void app.register(multipart, { limits: { fileSize: ctx.config.packageMaxBytes, files: 1, fields: 10 } });
  // Loaded before any route is added, so the OpenAPI generator sees them all (docs/openapi.json, /docs).
  await registerOpenApi(app);
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errorBody('not_found', 'no such route; the API is described in docs/api.md')));
  // Before any route: each one must declare its scope (src/api/auth.ts).
  const keys = new ApiKeyStore(ctx.redis, ctx.config.apiKeys.map((secret, i) => ({ secret, scopes: ctx.config.apiKeyScopes[i] ?? ['admin'] })));
  installAuth(app, keys);

  app.get('/healthz', { config: { scope: 'public' } }, async (_req, reply) => {
    const checks: Record<string, string> = {};
    checks.redis = await pingWithin(ctx.redis, 2000);
    await ctx.storage.ping().then(() => (checks.storage = 'ok'), (e: Error) => (checks.storage = e.message));
    const ok = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ok ? 200 : 503).send({ ok, checks });
  });
  keyRoutes(app, keys);
  renderRoutes(app, ctx);
  templateRoutes(app, ctx);
  statsRoutes(app, ctx);
  webhookEndpointRoutes(app, ctx);
  viewerRoutes(app, ctx);
  mp4Routes(app, ctx);
  viewerImageRoutes(app, ctx);
  viewerFallbackRoutes(app, ctx);
  const connectors = new ConnectorStore(ctx.redis);
  const catalogs = new CatalogStore(ctx.redis);
  connectorRoutes(app, ctx, connectors);
  catalogRoutes(app, ctx, catalogs);
  hookRoutes(app, ctx, { ...ctx, connectors, catalogs });
  batchRoutes(app, ctx, new BatchStore(ctx.redis), connectors);
  metricsRoutes(app);
  queueDashboardRoutes(app, [ctx.renderQueue, ctx.prepareQueue, ctx.deliveryQueue, ctx.batchQueue]);
  docsRoutes(app);
  consoleRoutes(app);
  return app;
}
