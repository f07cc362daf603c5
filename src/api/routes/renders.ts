import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { params, RENDER_ID, TEMPLATE_ID } from '../schemas.ts';
import { validateData } from '../../templates/fields.ts';
import { resolveInputs, segmentKeys, undrawableText } from '../../render/personalize.ts';
import { signToken } from '../../viewer/signing.ts';
import { enqueueRender, PRIORITY, settleLostFailure } from '../../queue/queues.ts';
import type { RenderMeta, RenderMode, RenderRecord } from '../../render/records.ts';
import type { TemplatePlan } from '../../templates/plan.ts';

interface RenderBody {
  template: string;
  data: unknown;
  mode?: RenderMode;
  external_id?: string;
  expires_in?: number;
}

/** The accept body; `data` is checked against the template's own fields once the template is known. */
function renderBodySchema(maxExpires: number) {
  return {
    type: 'object',
    required: ['template', 'data'],
    additionalProperties: false,
    properties: {
      template: TEMPLATE_ID,
      data: { errorMessage: 'must be an object with the template fields' },
      mode: { type: 'string', enum: ['eager', 'lazy'], errorMessage: 'must be "eager" or "lazy"' },
      external_id: { type: 'string', minLength: 1, maxLength: 200, errorMessage: 'must be a string of 1-200 characters' },
      expires_in: { type: 'integer', minimum: 60, maximum: maxExpires, errorMessage: `must be an integer number of seconds from 60 to ${maxExpires}` },
    },
  } as const;
}

/** Same template version + data + external_id → same id (so MA-tool retries are free). */
function renderId(secret: Buffer, plan: TemplatePlan, data: Record<string, unknown>, externalId: string | undefined): string {
  const canonical = JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]]));
  return 'r' + createHmac('sha256', secret).update(JSON.stringify([plan.templateId, plan.version, canonical, externalId ?? null])).digest('base64url').slice(0, 24).replace(/[-_]/g, 'x');
}

export function urlsFor(ctx: ApiContext, meta: RenderMeta) {
  const base = `${ctx.config.publicUrl}/v/${meta.token}`;
  return {
    playlist_url: `${base}/index.m3u8`,
    player_url: `${base}/`,
    status_url: `${ctx.config.publicUrl}/v1/renders/${meta.id}`,
  };
}

function describe(ctx: ApiContext, meta: RenderMeta, state: string) {
  return {
    id: meta.id,
    template: meta.templateId,
    version: meta.version,
    mode: meta.mode,
    state,
    external_id: meta.externalId ?? null,
    ...urlsFor(ctx, meta),
    expires_at: new Date(meta.expiresAt * 1000).toISOString(),
    created_at: meta.createdAt,
  };
}

export function status(ctx: ApiContext, r: RenderRecord, plan: TemplatePlan | null) {
  const segments = (plan?.segments ?? []).map((s) => ({
    index: s.index,
    kind: s.kind,
    duration: s.duration,
    state: s.kind === 'static' ? 'ready' : r.readySegments[s.index] ? 'ready' : r.state === 'failed' ? 'failed' : r.state === 'rendering' ? 'pending' : 'waiting',
    ...(s.kind === 'dynamic' && r.readySegments[s.index]
      ? { ready_at: new Date(r.readySegments[s.index]!).toISOString(), shared: !!r.sharedSegments[s.index] }
      : {}),
  }));
  const dyn = segments.filter((s) => s.kind === 'dynamic');
  return {
    ...describe(ctx, r, r.state),
    progress: { ready: dyn.filter((s) => s.state === 'ready').length, total: dyn.length },
    segments,
    attempts: r.attempts,
    error: r.error ?? null,
    started_at: r.startedAt ? new Date(r.startedAt).toISOString() : null,
    finished_at: r.finishedAt ? new Date(r.finishedAt).toISOString() : null,
  };
}

export function renderRoutes(app: FastifyInstance, ctx: ApiContext, auth: (req: FastifyRequest) => Promise<void>) {
  app.post<{ Body: RenderBody }>('/v1/renders', { onRequest: auth, schema: { body: renderBodySchema(ctx.config.maxExpiresIn) } }, async (req, reply) => {
    const body = { ...req.body, mode: req.body.mode ?? 'eager', externalId: req.body.external_id, expiresIn: req.body.expires_in };
    const plan = await ctx.registry.activePlan(body.template);
    if (!plan) throw new ApiError(404, 'template_not_found', `no template "${body.template}"; GET /v1/templates lists them`);
    const { value, problems } = validateData(plan.manifest.fields, body.data);
    if (problems.length) throw new ApiError(422, 'invalid_data', `${problems.length} field(s) do not match template "${plan.templateId}"`, problems);
    const undrawable = await undrawableText(plan, ctx.storage, value);
    if (undrawable.length) throw new ApiError(422, 'invalid_data', `${undrawable.length} field(s) have characters template "${plan.templateId}" cannot draw`, undrawable);
    const id = renderId(ctx.config.contentSecret, plan, value, body.externalId);
    const expiresAt = Math.floor(Date.now() / 1000) + (body.expiresIn ?? ctx.config.defaultExpiresIn);
    const meta: RenderMeta = {
      id,
      templateId: plan.templateId,
      version: plan.version,
      mode: body.mode,
      externalId: body.externalId,
      createdAt: new Date().toISOString(),
      expiresAt,
      token: signToken(ctx.config.signingKeys, id, expiresAt),
      segKeys: segmentKeys(plan, resolveInputs(plan, value), ctx.config.contentSecret),
    };
    const existing = await ctx.store.createIfAbsent(meta, value, body.mode === 'lazy' ? 'lazy' : 'queued');
    if (existing) {
      const state = await ctx.store.state(existing.id);
      // A lost enqueue (crash between the two writes) heals on the client's retry.
      if (state === 'queued') await enqueueRender(ctx.renderQueue, existing.id, PRIORITY.eager);
      return reply.code(200).send(describe(ctx, existing, state ?? 'queued'));
    }
    if (body.mode === 'eager') await enqueueRender(ctx.renderQueue, id, PRIORITY.eager);
    return reply.code(201).header('location', `/v1/renders/${id}`).send(describe(ctx, meta, body.mode === 'lazy' ? 'lazy' : 'queued'));
  });

  app.get<{ Params: { id: string } }>('/v1/renders/:id', { onRequest: auth, schema: { params: params({ id: RENDER_ID }) } }, async (req) => {
    let r = await ctx.store.get(req.params.id);
    if (!r) throw new ApiError(404, 'render_not_found', 'no such render (it may have expired)');
    // The worker records a failure after BullMQ does; if that write was lost, the job's own state tells.
    const settled = await settleLostFailure(ctx.store, ctx.renderQueue, r.id, r.state, r.part);
    if (settled.state === 'failed' && r.state !== 'failed') r = { ...r, state: 'failed', error: settled.error };
    return status(ctx, r, await ctx.registry.plan(r.templateId, r.version));
  });
}
