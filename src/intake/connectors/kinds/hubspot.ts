// HubSpot workflow action "Send a webhook". HubSpot proves itself with
// X-HubSpot-Signature-v3: base64 HMAC-SHA256(client secret, METHOD + public URI +
// raw body + X-HubSpot-Request-Timestamp), the timestamp in ms and at most 5
// minutes old; v2 (hex SHA-256 of secret + METHOD + URI + body, no timestamp) only
// when the connector opts in; or, with the action's "API key" authentication, a
// header the operator names (options.apiKeyHeader). The body is either a flat
// custom body or the object API's shape ({vid, properties: {x: {value}}}), whose
// properties are lifted to the top so both read as /firstname.
import { createHash, createHmac } from 'node:crypto';
import { ApiError } from '../../../config/api-error.ts';
import { header, identityFrom, jsonBody, sameSecret, unauthorized } from '../identity.ts';
import type { ConnectorKind, HookRequest } from '../types.ts';
import { answerBody } from './generic.ts';

const TOLERANCE_MS = 5 * 60 * 1000;

// HubSpot decodes exactly these escapes in the URI before signing (and nothing else, e.g. not %20 or %26).
const DECODED: Record<string, string> = { '3A': ':', '2F': '/', '3F': '?', '40': '@', '21': '!', '24': '$', '27': "'", '28': '(', '29': ')', '2A': '*', '2C': ',', '3B': ';' };

/** The URI as HubSpot called it: the public base (it signs scheme and host) + path and query as received. */
export function signedUri(req: Pick<HookRequest, 'publicUrl' | 'url'>): string {
  return (req.publicUrl + req.url).replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (_, hex: string) => DECODED[hex.toUpperCase()]!);
}

interface Options {
  signatureVersion?: 'v3' | 'v2';
  apiKeyHeader?: string;
}

function verifyV3(req: HookRequest, secrets: string[]): void {
  const signature = header(req, 'x-hubspot-signature-v3');
  const ts = header(req, 'x-hubspot-request-timestamp');
  // Past and future alike: HubSpot rejects older than 5 minutes; a far-future stamp would outlive that window.
  if (!ts || !/^\d{1,15}$/.test(ts) || Math.abs(req.receivedAt - Number(ts)) > TOLERANCE_MS) {
    throw unauthorized('X-HubSpot-Request-Timestamp is missing or more than 5 minutes off');
  }
  const source = Buffer.concat([Buffer.from(req.method.toUpperCase() + signedUri(req), 'utf8'), req.rawBody, Buffer.from(ts, 'utf8')]);
  if (!secrets.some((s) => sameSecret(createHmac('sha256', s).update(source).digest('base64'), signature!))) {
    throw unauthorized('X-HubSpot-Signature-v3 does not verify with the connector\'s client secret(s)');
  }
}

function verifyV2(req: HookRequest, secrets: string[]): void {
  const signature = header(req, 'x-hubspot-signature')!.toLowerCase();
  const sign = (s: string) => createHash('sha256').update(Buffer.concat([Buffer.from(s + req.method.toUpperCase() + signedUri(req), 'utf8'), req.rawBody])).digest('hex');
  if (!secrets.some((s) => sameSecret(sign(s), signature))) throw unauthorized('X-HubSpot-Signature (v2) does not verify with the connector\'s client secret(s)');
}

/** {properties: {x: {value}}} (object API, legacy contacts) or {properties: {x: "v"}} (CRM v3) → x at the top. */
function lifted(properties: unknown): Record<string, unknown> {
  if (!properties || typeof properties !== 'object' || Array.isArray(properties)) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(properties)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && 'value' in v ? (v as { value: unknown }).value : v;
  }
  return out;
}

export const hubspot: ConnectorKind = {
  kind: 'hubspot',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      signatureVersion: { enum: ['v3', 'v2'], errorMessage: 'must be "v3" (default) or "v2"' },
      apiKeyHeader: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$', errorMessage: 'must be a header name, e.g. "X-Kasane-Secret"' },
    },
  },
  secretProblem: (s) => (s.length >= 24 ? null : 'must be the HubSpot app\'s client secret or an API key of at least 24 characters'),

  authenticate(req, connector) {
    const o = connector.options as Options;
    // The API key first: whether HubSpot also signs when the action uses "API key" is not documented.
    const key = o.apiKeyHeader ? header(req, o.apiKeyHeader) : undefined;
    if (key !== undefined) {
      if (connector.secrets.some((s) => sameSecret(s, key))) return;
      throw unauthorized(`the ${o.apiKeyHeader} header is not one of this connector's secrets`);
    }
    if (header(req, 'x-hubspot-signature-v3') !== undefined && o.signatureVersion !== 'v2') return verifyV3(req, connector.secrets);
    if (header(req, 'x-hubspot-signature') !== undefined && o.signatureVersion === 'v2') return verifyV2(req, connector.secrets);
    throw unauthorized(`sign the request (the workflow action's "Include request signature in header", signature ${o.signatureVersion ?? 'v3'})${o.apiKeyHeader ? ` or send the API key in ${o.apiKeyHeader}` : ''}`);
  },

  payload(req) {
    // GET carries no body (HubSpot puts only static parameters in the URL); query values fill what the body lacks.
    const body = req.method === 'GET' ? {} : jsonBody(req);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'malformed_payload', 'the body must be a JSON object', [{ pointer: '', message: 'must be an object' }]);
    return { ...req.query, ...lifted((body as { properties?: unknown }).properties), ...body };
  },
  identity: (_req, payload, connector) => identityFrom(payload, connector),
  // 200 for new and repeated calls alike: HubSpot re-sends for 3 days after a 5xx, and a repeat is not news.
  answer: (r) => ({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: answerBody(r) }),
};
