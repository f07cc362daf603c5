// Braze Connected Content ({% connected_content %}, GET with query parameters by
// default, or :method post with a JSON or k=v&… body) and webhook campaigns.
// Braze cannot sign: a header it sends (options.header, default X-Kasane-Secret)
// or a stored Connected Content credential (`Authorization: Basic`, password =
// secret) carries a connector secret. Braze calls again for every part of a
// message and on retries, and caches answers: a repeat must answer the same bytes,
// so the answer leaves out what changes over time (the render's state).
import { ApiError } from '../../../config/api-error.ts';
import { bearerMatches, header, headerSecret, identityFrom, jsonOrFormBody, randomSecretProblem, sameSecret, secretHeaderOptionsSchema, unauthorized } from '../identity.ts';
import type { ConnectorKind, HookRequest, HookResult } from '../types.ts';
import { answerBody as flatAnswer } from './generic.ts';

/** `Authorization: Basic base64(user:password)`: the password is the secret (the user name is the operator's label). */
function basicPassword(req: HookRequest): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header(req, 'authorization') ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** JSON if it parses, whatever the Content-Type (Braze may send k=v&… under application/json), else k=v&…. */
function bodyFields(req: HookRequest): Record<string, unknown> {
  return jsonOrFormBody(req, (text) => {
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(400, 'malformed_payload', 'the body starts like JSON but is not valid JSON', [{ pointer: '', message: 'must be a JSON object or key=value&… pairs' }]);
    }
  });
}

/** The answer for Liquid ({{kasane.watch_url}}): the flat answer without `status`, so a repeat answers identically. */
function answerBody(r: HookResult) {
  const { status: _changesOverTime, ...same } = flatAnswer(r);
  return same;
}

export const braze: ConnectorKind = {
  kind: 'braze',
  optionsSchema: secretHeaderOptionsSchema,
  secretProblem: randomSecretProblem,

  authenticate(req, connector) {
    const { name, matches } = headerSecret(req, connector);
    if (matches) return;
    const basic = basicPassword(req);
    if (basic !== undefined && connector.secrets.some((s) => sameSecret(s, basic))) return;
    if (req.headers.authorization !== undefined && bearerMatches(req, connector)) return;
    throw unauthorized(`send one of this connector's secrets in ${name} (:headers) or as the password of a Connected Content credential (:basic_auth)`);
  },

  // Query parameters (repeated ones arrive as a list) and body fields merged, the body winning:
  // the URL can keep ?uid= as Braze's per-user cache key while names go in a POST body.
  payload: (req) => ({ ...req.query, ...(req.method === 'GET' ? {} : bodyFields(req)) }),
  identity: (_req, payload, connector) => identityFrom(payload, connector),
  answer: (r) => ({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: answerBody(r) }),
};
