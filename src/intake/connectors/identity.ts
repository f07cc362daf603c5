// Shared helpers for kinds: reading the contact and campaign the connector
// points at, refusing a call as unauthorized, parsing a JSON body, comparing
// secrets in constant time.
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
