// PUT/GET /v1/templates/:id/catalog: the product catalog hooks turn skus into
// cards with. CSV (any of the encodings Excel writes) or JSON; a PUT replaces it.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { params, TEMPLATE_ID } from '../schemas.ts';
import { parseCatalog, type CatalogStore } from '../../intake/catalog.ts';

/** Catalogs are larger than an accept body: up to 100,000 rows. */
const CATALOG_MAX_BYTES = 32 * 1024 * 1024;

export function catalogRoutes(app: FastifyInstance, ctx: ApiContext, catalogs: CatalogStore) {
  void app.register(async (c) => {
    c.addContentTypeParser(['text/csv', 'application/csv', 'application/vnd.ms-excel'], { parseAs: 'buffer', bodyLimit: CATALOG_MAX_BYTES }, (_req, body, done) => done(null, body));
    const schema = { params: params({ id: TEMPLATE_ID }) };
    const template = async (id: string) => {
      const plan = await ctx.registry.activePlan(id);
      if (!plan) throw new ApiError(404, 'template_not_found', `no template "${id}"; GET /v1/templates lists them`);
      return plan;
    };

    c.put<{ Params: { id: string } }>('/v1/templates/:id/catalog', { config: { scope: 'template' }, schema, bodyLimit: CATALOG_MAX_BYTES }, async (req) => {
      const plan = await template(req.params.id);
      if (req.body === undefined || req.body === null) throw new ApiError(400, 'bad_request', 'send the catalog as text/csv or application/json');
      const cards = parseCatalog(req.body, plan.manifest.fields);
      await catalogs.replace(plan.templateId, cards);
      return { template: plan.templateId, count: cards.size };
    });

    c.get<{ Params: { id: string } }>('/v1/templates/:id/catalog', { config: { scope: ['render', 'template'] }, schema }, async (req) => {
      const plan = await template(req.params.id);
      const items = await catalogs.list(plan.templateId);
      return { template: plan.templateId, count: items.length, items };
    });
  });
}
