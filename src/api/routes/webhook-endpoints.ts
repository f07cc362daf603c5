// Webhook endpoints: where Kasane sends its events (docs/events.md). The signing
// secret is shown once, when an endpoint is created or its secret rotated.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { params } from '../schemas.ts';
import { EVENT_TYPES, LOG_SIZE, endpointUrlProblem, secretHint, type Endpoint, type EventType } from '../../events/index.ts';
import { CONNECTOR_ID } from '../../intake/connectors/store.ts';


/** Enough for every tool and campaign of one customer; a runaway script stops here. */
const MAX_ENDPOINTS = 100;

const ENDPOINT_ID = { type: 'string', pattern: '^ep_[A-Za-z0-9_-]{16}$', errorMessage: 'must be an endpoint id as returned by POST /v1/webhook-endpoints' } as const;
const DELIVERY_ID = { type: 'string', pattern: '^msg_[A-Za-z0-9_-]{22}$', errorMessage: 'must be a delivery id from GET …/deliveries' } as const;
const URL_FIELD = { type: 'string', minLength: 1, maxLength: 2000, errorMessage: 'must be an http(s) URL of at most 2000 characters' } as const;
const EVENTS = {
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: { type: 'string', enum: EVENT_TYPES },
  errorMessage: `must be a non-empty list of distinct event types: ${EVENT_TYPES.join(', ')}`,
} as const;
const CONNECTOR = { type: 'string', pattern: CONNECTOR_ID.source, errorMessage: 'must be a connector id like "c_…" as returned by POST /v1/connectors' } as const;
const DESCRIPTION = { type: 'string', maxLength: 500, errorMessage: 'must be a string of at most 500 characters' } as const;

const CREATE_BODY = {
  type: 'object',
  required: ['url', 'events'],
  additionalProperties: false,
  properties: { url: URL_FIELD, events: EVENTS, connector: CONNECTOR, description: DESCRIPTION },
} as const;

const PATCH_BODY = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    url: URL_FIELD,
    events: EVENTS,
    // null: no longer bound to a connector.
    connector: { anyOf: [CONNECTOR, { type: 'null' }], errorMessage: 'must be a connector id or null' },
    description: DESCRIPTION,
    enabled: { type: 'boolean', errorMessage: 'must be true or false' },
    rotate_secret: { type: 'boolean', errorMessage: 'must be true or false' },
  },
  errorMessage: { minProperties: 'say what to change: url, events, connector, description, enabled or rotate_secret' },
} as const;

const LIMIT_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$', errorMessage: `must be a number from 1 to ${LOG_SIZE}` } },
} as const;

interface CreateBody { url: string; events: EventType[]; connector?: string; description?: string }
interface PatchBody { url?: string; events?: EventType[]; connector?: string | null; description?: string; enabled?: boolean; rotate_secret?: boolean }
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** An endpoint as GET shows it: never the secret itself. */
function describe(e: Endpoint) {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    connector: e.connector ?? null,
    description: e.description ?? null,
    enabled: e.enabled,
    disabled_reason: e.disabledReason ?? null,
    failing_since: e.failingSince ? new Date(e.failingSince).toISOString() : null,
    secret_hint: secretHint(e.secret),
    created_at: e.createdAt,
  };
}

async function checkUrl(ctx: ApiContext, url: string): Promise<void> {
  const problem = await endpointUrlProblem(url, ctx.config.events);
  if (problem) throw new ApiError(422, 'invalid_request', 'the endpoint URL cannot be used', [{ pointer: '/url', message: problem }]);
}

async function found(ctx: ApiContext, id: string): Promise<Endpoint> {
  const e = await ctx.events.endpoints.get(id);
  if (!e) throw new ApiError(404, 'endpoint_not_found', 'no such webhook endpoint');
  return e;
}

export function webhookEndpointRoutes(app: FastifyInstance, ctx: ApiContext) {
  // Operators' configuration: a leaked MA key must not repoint where events (with watch links) go.
  const ID = { params: params({ id: ENDPOINT_ID }) };
  app.post<{ Body: CreateBody }>('/v1/webhook-endpoints', { config: { scope: 'template' }, schema: { body: CREATE_BODY } }, (req, reply) => create(ctx, req.body, reply));
  app.get('/v1/webhook-endpoints', { config: { scope: 'template' } }, async () => ({ endpoints: (await ctx.events.endpoints.list()).map(describe) }));
  app.get<{ Params: { id: string } }>('/v1/webhook-endpoints/:id', { config: { scope: 'template' }, schema: ID }, async (req: IdRequest) => describe(await found(ctx, req.params.id)));
  app.patch<{ Params: { id: string }; Body: PatchBody }>('/v1/webhook-endpoints/:id', { config: { scope: 'template' }, schema: { ...ID, body: PATCH_BODY } }, (req) => patch(ctx, req.params.id, req.body));
  app.delete<{ Params: { id: string } }>('/v1/webhook-endpoints/:id', { config: { scope: 'template' }, schema: ID }, async (req, reply) => {
    if (!(await ctx.events.endpoints.remove(req.params.id))) throw new ApiError(404, 'endpoint_not_found', 'no such webhook endpoint');
    return reply.code(204).send();
  });
  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>(
    '/v1/webhook-endpoints/:id/deliveries',
    { config: { scope: 'template' }, schema: { ...ID, querystring: LIMIT_QUERY } },
    async (req) => {
      await found(ctx, req.params.id);
      const limit = Math.min(Number(req.query.limit ?? 50), LOG_SIZE);
      return { endpoint: req.params.id, deliveries: await ctx.events.log.attempts(req.params.id, limit) };
    },
  );
  app.post<{ Params: { id: string; deliveryId: string } }>(
    '/v1/webhook-endpoints/:id/deliveries/:deliveryId/redeliver',
    { config: { scope: 'template' }, schema: { params: params({ id: ENDPOINT_ID, deliveryId: DELIVERY_ID }) } },
    async (req, reply) => {
      const e = await found(ctx, req.params.id);
      if (!e.enabled) throw new ApiError(409, 'endpoint_disabled', 'the endpoint is disabled; enable it first (PATCH {"enabled": true})');
      if (!(await ctx.events.redeliver(e.id, req.params.deliveryId))) throw new ApiError(404, 'delivery_not_found', 'no such delivery for this endpoint (deliveries are kept for 7 days)');
      return reply.code(202).send({ endpoint: e.id, delivery_id: req.params.deliveryId, queued: true });
    },
  );
}

async function create(ctx: ApiContext, body: CreateBody, reply: FastifyReply) {
  await checkUrl(ctx, body.url);
  if ((await ctx.events.endpoints.list()).length >= MAX_ENDPOINTS) throw new ApiError(409, 'too_many_endpoints', `at most ${MAX_ENDPOINTS} webhook endpoints; delete one first`);
  const e = await ctx.events.endpoints.create(body);
  // The only time the secret is shown (and after a rotation).
  return reply.code(201).header('location', `/v1/webhook-endpoints/${e.id}`).send({ ...describe(e), secret: e.secret });
}

async function patch(ctx: ApiContext, id: string, body: PatchBody) {
  await found(ctx, id);
  if (body.url !== undefined) await checkUrl(ctx, body.url);
  const e = await ctx.events.endpoints.update(id, { url: body.url, events: body.events, connector: body.connector, description: body.description, enabled: body.enabled, rotateSecret: body.rotate_secret });
  if (!e) throw new ApiError(404, 'endpoint_not_found', 'no such webhook endpoint');
  return { ...describe(e), ...(body.rotate_secret ? { secret: e.secret } : {}) };
}
