// Shared helpers for kinds: reading the contact and campaign the connector
// points at, refusing a call as unauthorized, parsing a JSON or k=v&… body,
// comparing secrets in constant time, and the secret-in-a-header setup of the
// tools that cannot sign (Braze, Marketo).
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../../config/api-error.ts';
import { isMissing, resolveSpec } from '../mapping.ts';
import type { Connector, HookIdentity, HookRequest } from './types.ts';

const MAX_ID = 200;

/** 401 in the one error shape; the message never says which part failed beyond what the caller must fix. */
export function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message);
}

/** Constant-time string comparison (hashing first makes the lengths equal). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** `Authorization: Bearer <one of the connector's secrets>`. */
export function bearerMatches(req: HookRequest, connector: Connector): boolean {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return !!m && connector.secrets.some((s) => sameSecret(s, m[1]!));
}

export function header(req: HookRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The body as JSON (an empty body is an empty object); 400 when it is not JSON. */
export function jsonBody(req: HookRequest): unknown {
  if (!req.rawBody.length) return {};
  try {
    return JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    throw new ApiError(400, 'malformed_payload', 'the body is not valid JSON');
  }
}

/**
 * A body that is JSON or k=v&… pairs, told apart by its first character whatever the
 * Content-Type (tools mislabel form bodies); a blank body is {}. `parseJson` reads a body
 * that looks like JSON (and says how one that does not parse is refused); 400 unless
 * the result is an object.
 */
export function jsonOrFormBody(req: HookRequest, parseJson: (text: string) => unknown): Record<string, unknown> {
  const text = req.rawBody.toString('utf8');
  if (!text.trim()) return {};
  if (!/^\s*[[{]/.test(text)) return Object.fromEntries(new URLSearchParams(text));
  const parsed = parseJson(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiError(400, 'malformed_payload', 'the body must be a JSON object', [{ pointer: '', message: 'must be an object' }]);
  return parsed as Record<string, unknown>;
}

// ---------------------------------------------------------------- a secret in a header (tools that cannot sign)

/** The header that carries the secret unless the connector's options.header names another. */
export const DEFAULT_SECRET_HEADER = 'x-kasane-secret';

/** options: { header?: "X-…" }, the header name the operator set in the tool. */
export const secretHeaderOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { header: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$', errorMessage: 'must be a header name, e.g. "X-Kasane-Secret"' } },
};

/** A secret that is only compared, never used to sign: it must be long enough not to be guessed. */
export const randomSecretProblem = (s: string): string | null => (s.length >= 24 ? null : 'must be a random value of at least 24 characters');

/** The header the secret travels in for this connector, and whether it carries one of its secrets. */
export function headerSecret(req: HookRequest, connector: Connector): { name: string; matches: boolean } {
  const name = (connector.options as { header?: string }).header ?? DEFAULT_SECRET_HEADER;
  const got = header(req, name);
  return { name, matches: got !== undefined && connector.secrets.some((s) => sameSecret(s, got)) };
}

function idText(v: unknown): string | undefined {
  if (isMissing(v)) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v).normalize('NFKC').trim();
  return undefined;
}

/** The contact (connector.contact) and campaign (connector.campaign) from the payload; 422 when the contact is missing. */
export function identityFrom(payload: unknown, connector: Connector): HookIdentity {
  const contact = idText(resolveSpec(payload, connector.contact));
  if (!contact || contact.length > MAX_ID) {
    throw new ApiError(422, 'invalid_data', 'the contact id is missing or too long', [{ pointer: connector.contact, message: `must hold the contact id (1-${MAX_ID} characters): the connector's "contact" points here` }]);
  }
  const campaign = connector.campaign === undefined ? undefined : idText(resolveSpec(payload, connector.campaign));
  if (campaign && campaign.length > MAX_ID) throw new ApiError(422, 'invalid_data', 'the campaign id is too long', [{ pointer: typeof connector.campaign === 'string' ? connector.campaign : '/campaign', message: `must be at most ${MAX_ID} characters` }]);
  return { contact, campaign };
}
