// /v1/connectors: an operator configures, once per MA tool and template, how
// that tool's calls become renders. Secrets go in and never come back out
// (GET shows a hint of each); options are checked by the kind's own schema.
import type { FastifyInstance } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import ajvErrorsModule from 'ajv-errors';
import type { Plugin } from 'ajv';
import type { ApiContext } from '../context.ts';
import { ApiError, schemaProblems, type Problem } from '../errors.ts';
import { params, TEMPLATE_ID } from '../schemas.ts';
import { KINDS, type Connector, type Kind } from '../../intake/connectors/types.ts';
import { KIND_MODULES, kindOf } from '../../intake/connectors/kinds/index.ts';
import { CONNECTOR_ID, newConnectorId, publicConnector, type ConnectorStore } from '../../intake/connectors/store.ts';
import { cardFields } from '../../intake/catalog.ts';
import { SPEC_FORMS, specProblems, type SourceSpec } from '../../intake/mapping.ts';

const ajvErrors = ajvErrorsModule as unknown as Plugin<unknown>;

const PATH = { type: 'string', minLength: 1, maxLength: 300, errorMessage: 'must be a JSON pointer ("/a/b") or a dotted path ("a.b")' } as const;
/** A source spec's shape is checked by specProblems (one precise message per spec, not Ajv's anyOf noise). */
export const SOURCE = { anyOf: [{ type: 'string' }, { type: 'object' }], errorMessage: `must be ${SPEC_FORMS}` } as const;

function bodySchema(maxExpires: number, create: boolean) {
  return {
    type: 'object',
    additionalProperties: false,
    ...(create ? { required: ['kind', 'name', 'template', 'secrets', 'contact'] } : { minProperties: 1 }),
    properties: {
      ...(create ? { kind: { type: 'string', enum: KINDS, errorMessage: `must be one of ${KINDS.join(', ')}` } } : {}),
      name: { type: 'string', minLength: 1, maxLength: 100, errorMessage: 'must be a name of 1-100 characters' },
      template: TEMPLATE_ID,
      mode: { type: 'string', enum: ['lazy', 'eager'], errorMessage: 'must be "lazy" or "eager"' },
      secrets: { type: 'array', minItems: 1, maxItems: 5, items: { type: 'string', minLength: 1, maxLength: 500 }, errorMessage: 'must be 1-5 secrets (any one verifies)' },
      options: { type: 'object' },
      mapping: { type: 'object', maxProperties: 100, additionalProperties: SOURCE },
      contact: PATH,
      campaign: SOURCE,
      expires_in: { type: 'integer', minimum: 60, maximum: maxExpires, errorMessage: `must be an integer number of seconds from 60 to ${maxExpires}` },
    },
  } as const;
}

type Body = Partial<Pick<Connector, 'kind' | 'name' | 'template' | 'mode' | 'secrets' | 'options' | 'mapping' | 'contact' | 'campaign' | 'expires_in'>>;

/** Each kind's options schema, compiled once with the API's own Ajv settings. */
const optionValidators = new Map<Kind, ValidateFunction>();
function optionsValidator(kind: Kind): ValidateFunction | undefined {
  if (!optionValidators.has(kind) && KIND_MODULES[kind]) {
    const ajv = new Ajv({ allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: false, strict: false });
    ajvErrors(ajv as never, undefined);
    optionValidators.set(kind, ajv.compile(KIND_MODULES[kind]!.optionsSchema));
  }
  return optionValidators.get(kind);
}

/** What JSON Schema cannot know: the kind exists here, secrets suit it, options suit it, mapped fields exist. */
async function checkConnector(ctx: ApiContext, c: Connector): Promise<void> {
  const problems: Problem[] = [];
  const kind = kindOf(c.kind);
  if (!kind) problems.push({ pointer: '/kind', message: `connectors of kind "${c.kind}" are not available in this version` });
  c.secrets.forEach((s, i) => {
    const why = kind?.secretProblem(s);
    if (why) problems.push({ pointer: `/secrets/${i}`, message: why });
  });
  const validate = kind ? optionsValidator(c.kind) : undefined;
  if (validate && !validate(c.options)) problems.push(...schemaProblems(validate.errors as never, undefined).map((p) => ({ ...p, pointer: `/options${p.pointer}` })));
  for (const [field, spec] of Object.entries(c.mapping)) problems.push(...specProblems(spec, `/mapping/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  if (c.campaign !== undefined) problems.push(...specProblems(c.campaign, '/campaign'));
  const plan = await ctx.registry.activePlan(c.template);
  if (!plan) problems.push({ pointer: '/template', message: 'no such template (or no version of it is active yet)' });
  else {
    for (const [field, spec] of Object.entries(c.mapping) as Array<[string, SourceSpec]>) {
      const f = plan.manifest.fields[field];
      if (!f) problems.push({ pointer: `/mapping/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `is not a field of template "${c.template}"` });
      else if (typeof spec === 'object' && 'skus' in spec && !(f.type === 'array' && cardFields({ [field]: f }))) problems.push({ pointer: `/mapping/${field}`, message: 'skus map only to an array field of item cards' });
    }
  }
  if (problems.length) throw new ApiError(422, 'invalid_connector', `${problems.length} problem(s) in the connector`, problems);
}

export function connectorRoutes(app: FastifyInstance, ctx: ApiContext, store: ConnectorStore) {
  // Configuration is operators' work: a leaked MA key must not repoint or read connectors.
  const idParams = params({ id: { type: 'string', pattern: CONNECTOR_ID.source, errorMessage: 'must be a connector id like "c_…" as returned by POST /v1/connectors' } });
  const hookUrl = (id: string) => `${ctx.config.publicUrl}/hooks/${id}`;
  const show = (c: Connector) => ({ ...publicConnector(c), hook_url: hookUrl(c.id) });
  const found = async (id: string) => {
    const c = await store.get(id);
    if (!c) throw new ApiError(404, 'connector_not_found', 'no such connector; GET /v1/connectors lists them');
    return c;
  };

  app.post<{ Body: Body }>('/v1/connectors', { config: { scope: 'template' }, schema: { body: bodySchema(ctx.config.maxExpiresIn, true) } }, async (req, reply) => {
    const b = req.body;
    const now = new Date().toISOString();
    const c: Connector = {
      id: newConnectorId(),
      kind: b.kind!,
      name: b.name!,
      template: b.template!,
      mode: b.mode ?? 'lazy',
      secrets: b.secrets!,
      options: b.options ?? {},
      mapping: b.mapping ?? {},
      contact: b.contact!,
      ...(b.campaign !== undefined ? { campaign: b.campaign } : {}),
      ...(b.expires_in !== undefined ? { expires_in: b.expires_in } : {}),
      created_at: now,
      updated_at: now,
    };
    await checkConnector(ctx, c);
    await store.put(c);
    return reply.code(201).header('location', `/v1/connectors/${c.id}`).send(show(c));
  });

  app.get('/v1/connectors', { config: { scope: 'template' } }, async () => ({ connectors: (await store.list()).map(show) }));

  app.get<{ Params: { id: string } }>('/v1/connectors/:id', { config: { scope: 'template' }, schema: { params: idParams } }, async (req) => show(await found(req.params.id)));

  app.patch<{ Params: { id: string }; Body: Body }>('/v1/connectors/:id', { config: { scope: 'template' }, schema: { params: idParams, body: bodySchema(ctx.config.maxExpiresIn, false) } }, async (req) => {
    const old = await found(req.params.id);
    const c: Connector = { ...old, ...req.body, id: old.id, kind: old.kind, created_at: old.created_at, updated_at: new Date().toISOString() };
    await checkConnector(ctx, c);
    await store.put(c);
    return show(c);
  });

  app.delete<{ Params: { id: string } }>('/v1/connectors/:id', { config: { scope: 'template' }, schema: { params: idParams } }, async (req, reply) => {
    if (!(await store.delete(req.params.id))) throw new ApiError(404, 'connector_not_found', 'no such connector; GET /v1/connectors lists them');
    return reply.code(204).send();
  });
}
