import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { params, RENDER_ID, TEMPLATE_ID } from '../schemas.ts';
import { settleLostFailure } from '../../queue/queues.ts';
import type { RenderMeta, RenderMode, RenderRecord, RenderState } from '../../render/records.ts';
import { acceptRender, renderUrls } from '../../intake/accept.ts';
import type { TemplatePlan } from '../../templates/plan.ts';
import { readRenderViews, type RenderViews } from '../../events/index.ts';
import { deletedAt } from '../../render/render-index.ts';
import { deleteByExternalId, deleteRender, type DeletionDeps } from '../../retention/delete-render.ts';
import { CURSOR_PATTERN, listRenders } from '../../retention/list-renders.ts';

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

const RENDER_STATES = ['lazy', 'queued', 'rendering', 'done', 'failed'] as const;
const EXTERNAL_ID = { type: 'string', minLength: 1, maxLength: 200, errorMessage: 'must be a string of 1-200 characters' } as const;

interface ListQuery {
  external_id?: string;
  template?: string;
  state?: RenderState;
  limit?: string;
  cursor?: string;
}

const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    external_id: EXTERNAL_ID,
    template: TEMPLATE_ID,
    state: { type: 'string', enum: RENDER_STATES, errorMessage: `must be one of ${RENDER_STATES.join(', ')}` },
    limit: { type: 'string', pattern: '^(100|[1-9][0-9]?)$', errorMessage: 'must be a number from 1 to 100' },
    cursor: { type: 'string', pattern: CURSOR_PATTERN, errorMessage: 'must be a next_cursor from a previous page' },
  },
} as const;

const DELETE_QUERY = {
  type: 'object',
  required: ['external_id'],
  additionalProperties: false,
  properties: { external_id: EXTERNAL_ID },
} as const;

/** A job being rendered is waited for this long before a deletion answers 409. */
const DELETE_WAIT_MS = 20_000;

export function urlsFor(ctx: ApiContext, meta: RenderMeta) {
  return renderUrls(ctx.config.publicUrl, meta);
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

export function status(ctx: ApiContext, r: RenderRecord, plan: TemplatePlan | null, views: RenderViews) {
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
    views,
  };
}

export function renderRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.post<{ Body: RenderBody }>('/v1/renders', { config: { scope: 'render' }, schema: { body: renderBodySchema(ctx.config.maxExpiresIn) } }, async (req, reply) => {
    const body = { ...req.body, mode: req.body.mode ?? 'eager', externalId: req.body.external_id, expiresIn: req.body.expires_in };
    const r = await acceptRender(ctx, { template: body.template, data: body.data, mode: body.mode, externalId: body.externalId, expiresIn: body.expiresIn });
    if (!r.created) return reply.code(200).send(describe(ctx, r.meta, r.state));
    return reply.code(201).header('location', `/v1/renders/${r.meta.id}`).send(describe(ctx, r.meta, r.state));
  });

  app.get<{ Params: { id: string } }>('/v1/renders/:id', { config: { scope: ['render', 'template'] }, schema: { params: params({ id: RENDER_ID }) } }, async (req) => {
    let r = await ctx.store.get(req.params.id);
    if (!r) throw await goneOrNotFound(ctx, req.params.id);
    // The worker records a failure after BullMQ does; if that write was lost, the job's own state tells.
    const settled = await settleLostFailure(ctx.store, ctx.renderQueue, r.id, r.state, r.part);
    if (settled.state === 'failed' && r.state !== 'failed') r = { ...r, state: 'failed', error: settled.error };
    return status(ctx, r, await ctx.registry.plan(r.templateId, r.version), await readRenderViews(ctx.redis, r.id));
  });

  // Recent renders, newest first (the console's list and its search by external_id).
  app.get<{ Querystring: ListQuery }>('/v1/renders', { config: { scope: ['render', 'template'] }, schema: { querystring: LIST_QUERY } }, async (req) => {
    const q = req.query;
    const page = await listRenders(ctx.redis, ctx.store, ctx.config.contentSecret, { externalId: q.external_id, template: q.template, state: q.state, limit: Number(q.limit ?? 20), cursor: q.cursor });
    return { items: page.items.map((r) => listItem(ctx, r)), next_cursor: page.next_cursor };
  });

  // Deletion on request (APPI / GDPR; docs/privacy.md). A repeat answers 200 with zero counts.
  app.delete<{ Params: { id: string } }>('/v1/renders/:id', { config: { scope: 'admin' }, schema: { params: params({ id: RENDER_ID }) } }, async (req) => {
    const deleted = await deleteRender(deletionDeps(ctx), req.params.id, { tombstone: true, waitActiveMs: DELETE_WAIT_MS });
    if (!deleted) throw new ApiError(404, 'render_not_found', 'no such render (it may have expired and been swept)');
    req.log.info({ renderId: req.params.id, ...deleted }, 'render deleted on request');
    return { id: req.params.id, deleted };
  });

  app.delete<{ Querystring: { external_id: string } }>('/v1/renders', { config: { scope: 'admin' }, schema: { querystring: DELETE_QUERY } }, async (req) => {
    const r = await deleteByExternalId(deletionDeps(ctx), req.query.external_id, { waitActiveMs: DELETE_WAIT_MS });
    // The render ids only: external_id may be personal.
    req.log.info({ renders: r.renders, ...r.deleted }, 'renders deleted on request (by external_id)');
    return r;
  });
}

function deletionDeps(ctx: ApiContext): DeletionDeps {
  return { redis: ctx.redis, storage: ctx.storage, renderQueue: ctx.renderQueue, contentSecret: ctx.config.contentSecret };
}

/** 410 for a render deleted on request (until its link would have expired), else 404. */
async function goneOrNotFound(ctx: ApiContext, id: string): Promise<ApiError> {
  const at = await deletedAt(ctx.redis, id);
  if (at) return new ApiError(410, 'render_deleted', `this render was deleted at ${at}`);
  return new ApiError(404, 'render_not_found', 'no such render (it may have expired)');
}

/** A lean item of GET /v1/renders: what a list shows; GET /v1/renders/:id has the rest. */
function listItem(ctx: ApiContext, r: RenderRecord) {
  const total = Object.keys(r.segKeys).length;
  return {
    ...describe(ctx, r, r.state),
    progress: { ready: Math.min(total, Object.keys(r.readySegments).length), total },
    error: r.error ?? null,
  };
}
