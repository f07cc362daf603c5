// /docs: Swagger UI for the OpenAPI description, and /docs/json, the spec itself.
// Public like the committed docs/openapi.json (it describes, it grants nothing).
// Every asset comes from node_modules: no CDN, no fonts from elsewhere, and no
// validator badge (it would send the spec's URL to validator.swagger.io).
import type { FastifyInstance } from 'fastify';
import swaggerUi from '@fastify/swagger-ui';
import { withScope } from '../auth.ts';

export function docsRoutes(app: FastifyInstance) {
  void app.register(withScope('public', async (docs) => {
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { validatorUrl: null, deepLinking: true },
      // The page may load only from this origin (the plugin's default CSP also allows any https: font
      // or style and the validator's images, and upgrades to https, which breaks a plain-http intranet).
      staticCSP: true,
      transformStaticCSP: () =>
        "default-src 'self'; base-uri 'self'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'; frame-ancestors 'self'",
    });
  }));
}
