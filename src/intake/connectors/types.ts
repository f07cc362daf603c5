// What a connector is (configuration an operator writes once) and the contract
// every kind of MA tool implements. A connector names a kind; the kind knows how
// that tool proves who it is, where its payload is, and what shape of answer it
// can map into its next step. Everything else (mapping, catalog, accept,
// idempotency) is shared and lives outside the kinds.
import type { ApiError } from '../../config/api-error.ts';
import type { SourceSpec } from '../mapping.ts';
import type { FieldSpec } from '../../templates/fields.ts';

export const KINDS = ['generic', 'hubspot', 'marketo', 'braze', 'sfmc', 'karte'] as const;
export type Kind = (typeof KINDS)[number];

/** A connector as stored (secrets in full; the API shows only hints). */
export interface Connector {
  id: string;
  kind: Kind;
  name: string;
  /** Template id; its active version renders. */
  template: string;
  mode: 'lazy' | 'eager';
  /** Any one of them verifies (rotation: add the new one, then remove the old). */
  secrets: string[];
  /** Kind-specific settings (header name, signature version, ...), checked by the kind's optionsSchema. */
  options: Record<string, unknown>;
  /** Template field → where its value comes from in the payload. Fields left out read /<field>. */
  mapping: Record<string, SourceSpec>;
  /** Where the contact id is in the payload (JSON pointer or dotted path). */
  contact: string;
  /** Where the campaign id is, or a literal ({ value: "spring" }). */
  campaign?: SourceSpec;
  /** Seconds a link lives; the service default when absent. */
  expires_in?: number;
  created_at: string;
  updated_at: string;
}

/** One call of a tool to /hooks/:connectorId[/<sub>], as received. */
export interface HookRequest {
  method: string;
  /** The path after /hooks/:connectorId ("" or e.g. "execute" for SFMC's activity endpoints). */
  sub: string;
  /** Path and query exactly as received (signature schemes sign it). */
  url: string;
  /** The public base URL of this service (HubSpot v3 signs the full URI). */
  publicUrl: string;
  /** Lower-case names; repeated headers joined by fastify's rules. */
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | string[] | undefined>;
  /** The body's bytes, untouched (empty for GET): verify signatures over this, never a re-serialisation. */
  rawBody: Buffer;
  /** When the request arrived (ms since epoch), for timestamp tolerance checks. */
  receivedAt: number;
}

/** Who and what the call is about; the render's external_id is derived from connector + contact + campaign. */
export interface HookIdentity {
  contact: string;
  campaign?: string;
  /** The tool's own delivery id, when it sends one (only logged as present/absent, never as a value). */
  eventId?: string;
}

/** What accepting produced; every kind answers from this. */
export interface HookResult {
  /** False when this contact + campaign + data was accepted before (a retry): same render, same link. */
  created: boolean;
  render_id: string;
  status: string;
  watch_url: string;
  playlist_url: string;
  /** The whole video as MP4 (LINE video messages, downloads). */
  mp4_url: string;
  /** The person's poster frame (email image, LINE preview image). */
  poster_url: string;
  expires_at: string;
  external_id: string;
  warnings: string[];
}

export interface HookReply {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/**
 * One MA tool. A kind module exports one object of this type and is listed in
 * kinds/index.ts. Throw ApiError (src/config/api-error.ts) for refusals:
 * 401 'unauthorized' from authenticate, 400 'malformed_payload' from payload.
 * Nothing is stored before authenticate and payload have passed.
 */
export interface ConnectorKind {
  kind: Kind;
  /** JSON Schema of `options` (checked on create and update); `{ type: 'object', additionalProperties: false }` when none. */
  optionsSchema: Record<string, unknown>;
  /** What each secret must look like (e.g. generic: "whsec_…" or 24+ characters); return a reason or null. */
  secretProblem(secret: string): string | null;
  /**
   * Prove the call comes from the tool: check its signature/header against connector.secrets
   * (any one verifies; compare in constant time). Throw ApiError 401 otherwise. Never log secrets.
   */
  authenticate(req: HookRequest, connector: Connector): void | Promise<void>;
  /**
   * Requests that are not a render (SFMC's save/validate/publish/stop, a verification ping):
   * answer them here and nothing renders. Called after authenticate. Optional.
   * `fields` reads the connector's template fields (undefined when the template is gone),
   * for answers generated from the template (SFMC's config.json).
   */
  control?(req: HookRequest, connector: Connector, fields: () => Promise<Record<string, FieldSpec> | undefined>): HookReply | undefined | Promise<HookReply | undefined>;
  /** The object mapping reads from (parsed JSON body, query parameters, SFMC's merged inArguments…). */
  payload(req: HookRequest, connector: Connector): unknown;
  /** The contact and campaign; `identityFrom` (identity.ts) reads connector.contact/campaign and suits most kinds. */
  identity(req: HookRequest, payload: unknown, connector: Connector): HookIdentity;
  /** The tool's answer: status, headers and body (flat JSON its response mapping can read). */
  answer(result: HookResult, req: HookRequest, connector: Connector): HookReply;
  /**
   * Optional: refusals after authenticate (400 payload, 422 data problems, 404 template) in the
   * tool's own shape; return undefined for the one error shape. 404 connector and 401 never reach it.
   */
  errorAnswer?(err: ApiError, req: HookRequest, connector: Connector): HookReply | undefined;
}
