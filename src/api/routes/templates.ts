import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { exampleData } from '../../templates/fields.ts';
import type { TemplatePlan } from '../../templates/plan.ts';

function summary(p: TemplatePlan) {
  return {
    id: p.templateId,
    name: p.manifest.name,
    description: p.manifest.description ?? null,
    version: p.version,
    prepared_at: p.preparedAt,
    width: p.width,
    height: p.height,
    fps: p.fps.num / p.fps.den,
    duration: p.duration,
    fields: p.manifest.fields,
    example: exampleData(p.manifest.fields),
    layers: p.manifest.layers.map((l) => ({ id: l.id, type: l.type, start: l.start, end: l.end })),
    segments: { total: p.segments.length, personalized: p.segments.filter((s) => s.kind === 'dynamic').length },
  };
}

export function templateRoutes(app: FastifyInstance, ctx: ApiContext, auth: (req: FastifyRequest) => Promise<void>) {
  app.get('/v1/templates', { onRequest: auth }, async () => ({ templates: (await ctx.registry.list()).map(summary) }));
  app.get<{ Params: { id: string } }>('/v1/templates/:id', { onRequest: auth }, async (req) => {
    const p = await ctx.registry.activePlan(req.params.id);
    if (!p) throw new ApiError(404, 'template_not_found', `no template "${req.params.id.slice(0, 100)}"`);
    return summary(p);
  });
}
