// /docs: Swagger UI for the OpenAPI description, and /docs/json, the spec itself.
// Public like the committed docs/openapi.json (it describes, it grants nothing).
// Every asset comes from node_modules: no CDN, no fonts from elsewhere, and no
// validator badge (it would send the spec's URL to validator.swagger.io).
import type { FastifyInstance } from 'fastify';
import swaggerUi from '@fastify/swagger-ui';
import '../route-scope.ts';

export function docsRoutes(app: FastifyInstance) {
  void app.register(async (docs) => {
    docs.addHook('onRoute', (r) => {
      r.config = { ...r.config, scope: 'public' };
    });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { validatorUrl: null, deepLinking: true },
      // A Content-Security-Policy that lets the page load only from this origin.
      staticCSP: true,
    });
  });
}
