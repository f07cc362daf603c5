// How a template's videos are watched: the funnel links issued → opened → started →
// 50 % → completed → CTA clicked, summed over versions with each version beside it.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { params, TEMPLATE_ID, VERSION_ID } from '../schemas.ts';
import { templateStats } from '../../events/index.ts';

const QUERY = { type: 'object', additionalProperties: false, properties: { version: VERSION_ID } } as const;

export function statsRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.get<{ Params: { id: string }; Querystring: { version?: string } }>(
    '/v1/templates/:id/stats',
    { config: { scope: 'template' }, schema: { params: params({ id: TEMPLATE_ID }), querystring: QUERY } },
    async (req) => {
      const { id } = req.params;
      const { version } = req.query;
      const stats = await templateStats(ctx.redis, id, version);
      // Counters outlive a removed version; an id or version never seen is a 404, not zeros.
      const known = Object.values(stats.counts).some((n) => n > 0) || (await (version ? ctx.registry.plan(id, version) : ctx.registry.activePlan(id)));
      if (!known) {
        throw version
          ? new ApiError(404, 'version_not_found', `template "${id}" has no version "${version}"; GET /v1/templates/${id}/versions lists them`)
          : new ApiError(404, 'template_not_found', `no template "${id}"; GET /v1/templates lists them`);
      }
      return stats;
    },
  );
}
