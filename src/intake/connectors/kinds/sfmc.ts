// Salesforce Marketing Cloud Engagement: a Journey Builder custom activity.
// Journey Builder loads config.json (and index.html, icon.svg) from the
// component's Endpoint URL = /hooks/<id>, then POSTs a JWT (HS256, the
// Installed Package's JWT Signing Secret) as the body of execute, save,
// validate, publish and stop. execute carries `inArguments`, a list of one-key
// objects resolved per contact; they are merged into one object (later keys
// win) that mapping reads, with the journey's ids under /_sfmc. The flat JSON
// answer becomes the activity's outArguments.
import { decodeJwt, jwtVerify } from 'jose';
import { ApiError } from '../../../config/api-error.ts';
import type { FieldSpec } from '../../../templates/fields.ts';
import type { SourceSpec } from '../../mapping.ts';
import { identityFrom, unauthorized } from '../identity.ts';
import type { Connector, ConnectorKind, HookReply, HookRequest } from '../types.ts';
import { answerBody } from './generic.ts';
import { activityPage, ICON_SVG } from './sfmc-page.ts';

const LIFECYCLE = ['save', 'validate', 'publish', 'stop'];
const PUBLIC_GET = ['', 'index.html', 'config.json', 'icon.svg'];
const OUT = ['watch_url', 'playlist_url', 'mp4_url', 'poster_url', 'render_id', 'status', 'expires_at', 'external_id'] as const;
/** The ids Journey Builder sends beside inArguments (exposed to mapping as /_sfmc/<name>). */
const IDS = ['keyValue', 'journeyId', 'activityId', 'definitionInstanceId', 'activityInstanceId', 'activityObjectID', 'mode'];
/** Journey Builder's clock and ours may differ a little when the token carries exp/nbf. */
const CLOCK_TOLERANCE_S = 120;

interface SfmcOptions {
  in_arguments?: Record<string, string>;
  binding_prefix?: string;
  out_arguments?: string[];
  category?: string;
  timeout?: number;
  retry_count?: number;
  retry_delay?: number;
  concurrent_requests?: number;
  key?: string;
}
const opts = (c: Connector) => c.options as SfmcOptions;

async function verified(req: HookRequest, connector: Connector): Promise<void> {
  const token = req.rawBody.toString('utf8').trim();
  if (!/^[\w-]+\.[\w-]*\.[\w-]*$/.test(token)) throw unauthorized('the body must be the JWT Journey Builder sends when "useJwt" is true');
  for (const s of connector.secrets) {
    try {
      await jwtVerify(token, new TextEncoder().encode(s), { algorithms: ['HS256'], clockTolerance: CLOCK_TOLERANCE_S });
      return;
    } catch {
      /* the next secret may verify (rotation) */
    }
  }
  throw unauthorized('the JWT does not verify with the connector\'s JWT Signing Secret (HS256), or it has expired');
}

/** The payload names a source spec reads first (the inArgument it needs), ids under /_sfmc excluded. */
function namesOf(spec: SourceSpec | undefined): string[] {
  if (spec === undefined) return [];
  const top = (p: string) => (p.startsWith('/') ? p.slice(1).split('/')[0]!.replace(/~1/g, '/').replace(/~0/g, '~') : p.split('.')[0]!);
  const paths = typeof spec === 'string' ? [spec] : 'path' in spec ? [spec.path] : 'join' in spec ? spec.join : 'skus' in spec ? namesOf(spec.skus as SourceSpec).map((n) => `/${n}`) : [];
  return paths.map(top).filter((n) => n && n !== '_sfmc');
}

/** config.json, generated from the connector: one inArgument per payload name the mapping reads. */
export function configJson(connector: Connector, base: string, fields: Record<string, FieldSpec>) {
  const o = opts(connector);
  const names = new Set([...namesOf(connector.contact), ...namesOf(connector.campaign)]);
  for (const f of Object.keys(fields)) for (const n of Object.hasOwn(connector.mapping, f) ? namesOf(connector.mapping[f]) : [f]) names.add(n);
  for (const n of Object.keys(o.in_arguments ?? {})) names.add(n);
  const binding = (n: string) => o.in_arguments?.[n] ?? `{{${o.binding_prefix ?? 'Contact.Attribute.Kasane'}.${/^\w+$/.test(n) ? n : `"${n}"`}}}`;
  const out = o.out_arguments ?? ['watch_url', 'playlist_url', 'render_id', 'status', 'expires_at'];
  const lifecycle = Object.fromEntries(LIFECYCLE.map((s) => [s, { url: `${base}/${s}`, useJwt: true }]));
  return {
    workflowApiVersion: '1.1',
    ...(o.key ? { key: o.key } : {}),
    metaData: { icon: `${base}/icon.svg`, category: o.category ?? 'message', isConfigured: true, configOnDrop: false },
    type: 'REST',
    lang: { 'en-US': { name: connector.name, description: `Kasane personalized video (template ${connector.template})` } },
    arguments: {
      execute: {
        inArguments: [...names].map((n) => ({ [n]: binding(n) })),
        outArguments: out.map((n) => ({ [n]: '' })),
        url: `${base}/execute`,
        useJwt: true,
        timeout: o.timeout ?? 10000,
        // Journey Builder retries only network errors and 5xx (Salesforce's sample); a retry answers the same render.
        retryCount: o.retry_count ?? 3,
        retryDelay: o.retry_delay ?? 1000,
        concurrentRequests: o.concurrent_requests ?? 5,
      },
    },
    configurationArguments: lifecycle,
    wizardSteps: [{ label: 'Kasane', key: 'step1' }],
    userInterfaces: { configModal: { height: 240, width: 480, fullscreen: false } },
    schema: { arguments: { execute: { inArguments: [], outArguments: out.map((n) => ({ [n]: { dataType: 'Text', direction: 'out', access: 'visible' } })) } } },
  };
}

export const sfmc: ConnectorKind = {
  kind: 'sfmc',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      in_arguments: { type: 'object', maxProperties: 100, additionalProperties: { type: 'string', maxLength: 300 }, errorMessage: 'must map inArgument names to Journey Builder data bindings ("{{Contact.Attribute.DE.Field}}")' },
      binding_prefix: { type: 'string', pattern: '^[A-Za-z][\\w. "-]{0,200}$', errorMessage: 'must be a data binding prefix like "Contact.Attribute.Kasane" or "Event.DEAudience-123"' },
      out_arguments: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: OUT }, errorMessage: `must be a list of ${OUT.join(', ')}` },
      category: { enum: ['message', 'customer', 'flow'], errorMessage: 'must be "message", "customer" or "flow"' },
      timeout: { type: 'integer', minimum: 1000, maximum: 100000, errorMessage: 'must be milliseconds from 1000 to 100000' },
      retry_count: { type: 'integer', minimum: 0, maximum: 10, errorMessage: 'must be an integer from 0 to 10' },
      retry_delay: { type: 'integer', minimum: 0, maximum: 60000, errorMessage: 'must be milliseconds from 0 to 60000' },
      concurrent_requests: { type: 'integer', minimum: 1, maximum: 50, errorMessage: 'must be an integer from 1 to 50' },
      key: { type: 'string', minLength: 1, maxLength: 100, errorMessage: 'must be the Unique Key of the Journey Builder Activity component' },
    },
  },
  secretProblem: (s) => (s.length >= 16 ? null : 'must be the Installed Package\'s JWT Signing Secret (16+ characters)'),

  async authenticate(req, connector) {
    if (req.method === 'GET' && PUBLIC_GET.includes(req.sub)) return; // configuration Journey Builder loads; no personal data
    if (req.method !== 'POST' || (req.sub !== 'execute' && !LIFECYCLE.includes(req.sub))) {
      throw new ApiError(404, 'not_found', 'an SFMC connector answers POST …/execute, …/save, …/validate, …/publish, …/stop and GET …/config.json, …/index.html');
    }
    await verified(req, connector);
  },

  async control(req, connector, fields): Promise<HookReply | undefined> {
    const base = `${req.publicUrl}/hooks/${connector.id}`;
    if (req.sub === 'icon.svg') return { status: 200, headers: { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=3600' }, body: ICON_SVG };
    if (req.sub === 'execute') return undefined;
    const f = await fields();
    if (!f && req.sub !== 'save' && req.sub !== 'stop') throw new ApiError(404, 'template_not_found', `the connector's template "${connector.template}" does not exist (any more)`);
    if (req.sub === 'config.json') return { status: 200, headers: { 'cache-control': 'no-cache' }, body: configJson(connector, base, f!) };
    if (req.method === 'GET') return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }, body: activityPage(connector) };
    return { status: 200, body: {} };
  },

  payload(req) {
    const claims = decodeJwt(req.rawBody.toString('utf8').trim()) as Record<string, unknown>;
    const args = claims.inArguments ?? [];
    if (!Array.isArray(args) || args.some((a) => a === null || typeof a !== 'object' || Array.isArray(a))) {
      throw new ApiError(400, 'malformed_payload', 'inArguments must be a list of objects', [{ pointer: '/inArguments', message: 'must be a list of objects, as Journey Builder sends them' }]);
    }
    const merged: Record<string, unknown> = Object.assign(Object.create(null), ...args);
    merged._sfmc = Object.fromEntries(IDS.filter((k) => claims[k] !== undefined).map((k) => [k, claims[k]]));
    return { ...merged };
  },

  identity(_req, payload, connector) {
    const who = identityFrom(payload, connector);
    const ids = (payload as { _sfmc: Record<string, unknown> })._sfmc;
    // Without a configured campaign, the journey is the campaign: re-entering it with the same data reuses the video.
    const journey = ids.journeyId ?? ids.activityId;
    return connector.campaign === undefined && typeof journey === 'string' && journey ? { ...who, campaign: journey.slice(0, 200) } : who;
  },

  answer: (r) => {
    const { warnings: _w, ...flat } = answerBody(r);
    return { status: 200, body: flat };
  },
};
