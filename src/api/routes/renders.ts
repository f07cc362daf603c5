import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError, type Problem } from '../errors.ts';
import { validateData } from '../../templates/fields.ts';
import { resolveInputs, segmentKeys, undrawableText } from '../../render/personalize.ts';
import { signToken } from '../../viewer/signing.ts';
import { enqueueRender, PRIORITY } from '../../queue/queues.ts';
import type { RenderMeta, RenderMode, RenderRecord } from '../../render/records.ts';
import type { TemplatePlan } from '../../templates/plan.ts';

interface RenderBody {
  template: string;
  data: unknown;
  mode: RenderMode;
  externalId?: string;
  expiresIn?: number;
}

function parseBody(body: unknown, maxExpires: number): RenderBody {
  const p: Problem[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'bad_request', 'request body must be a JSON object like {"template": "...", "data": {...}}');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.template !== 'string' || !b.template) p.push({ pointer: '/template', message: 'must be a template id string' });
  if (b.data === undefined) p.push({ pointer: '/data', message: 'is required: an object with the template fields' });
  if (b.mode !== undefined && b.mode !== 'eager' && b.mode !== 'lazy') p.push({ pointer: '/mode', message: 'must be "eager" or "lazy"' });
  if (b.external_id !== undefined && (typeof b.external_id !== 'string' || b.external_id.length === 0 || b.external_id.length > 200)) {
    p.push({ pointer: '/external_id', message: 'must be a string of 1-200 characters' });
  }
  if (b.expires_in !== undefined && (!Number.isInteger(b.expires_in) || (b.expires_in as number) < 60 || (b.expires_in as number) > maxExpires)) {
    p.push({ pointer: '/expires_in', message: `must be an integer number of seconds from 60 to ${maxExpires}` });
  }
  if (p.length) throw new ApiError(422, 'invalid_request', `${p.length} problem(s) in the request`, p);
  return {
    template: b.template as string,
    data: b.data,
    mode: (b.mode as RenderMode) ?? 'eager',
    externalId: b.external_id as string | undefined,
    expiresIn: b.expires_in as number | undefined,
  };
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
  app.post('/v1/renders', { onRequest: auth }, async (req, reply) => {
    const body = parseBody(req.body, ctx.config.maxExpiresIn);
    const plan = await ctx.registry.activePlan(body.template);
    if (!plan) throw new ApiError(404, 'template_not_found', `no template "${body.template.slice(0, 100)}"; GET /v1/templates lists them`);
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

  app.get<{ Params: { id: string } }>('/v1/renders/:id', { onRequest: auth }, async (req) => {
    const id = req.params.id;
    const r = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await ctx.store.get(id) : null;
    if (!r) throw new ApiError(404, 'render_not_found', 'no such render (it may have expired)');
    return status(ctx, r, await ctx.registry.plan(r.templateId, r.version));
  });
}
