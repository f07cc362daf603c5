// How a template's videos are watched: the funnel links issued → opened → started →
// 50 % → completed → CTA clicked, summed over versions with each version beside it;
// all time, or over the last `days` days.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { params, TEMPLATE_ID, VERSION_ID } from '../schemas.ts';
import { STATS_MAX_DAYS, templateStats } from '../../events/index.ts';

const QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: VERSION_ID,
    // Query values stay strings (no coercion anywhere); 1-90 as digits.
    days: { type: 'string', pattern: '^(90|[1-8][0-9]|[1-9])$', errorMessage: `must be a number of days from 1 to ${STATS_MAX_DAYS}`, description: `only the last N days (UTC, today included), 1-${STATS_MAX_DAYS}; all time without it` },
  },
} as const;

export function statsRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.get<{ Params: { id: string }; Querystring: { version?: string; days?: string } }>(
    '/v1/templates/:id/stats',
    { config: { scope: 'template' }, schema: { params: params({ id: TEMPLATE_ID }), querystring: QUERY } },
    async (req) => {
      const { id } = req.params;
      const { version } = req.query;
      const days = req.query.days === undefined ? undefined : Number(req.query.days);
      const stats = await templateStats(ctx.redis, id, version, days);
      // Counters outlive a removed version; an id or version never seen is a 404, not zeros
      // (a quiet window of a known one is zeros: ask all time before saying "never seen").
      const counted = (s: typeof stats) => Object.values(s.counts).some((n) => n > 0);
      const known =
        counted(stats) ||
        (await (version ? ctx.registry.plan(id, version) : ctx.registry.activePlan(id))) ||
        (days !== undefined && counted(await templateStats(ctx.redis, id, version)));
      if (!known) {
        throw version
          ? new ApiError(404, 'version_not_found', `template "${id}" has no version "${version}"; GET /v1/templates/${id}/versions lists them`)
          : new ApiError(404, 'template_not_found', `no template "${id}"; GET /v1/templates lists them`);
      }
      return stats;
    },
  );
}
