// The one way a render is accepted, whatever brought it: POST /v1/renders, a
// connector hook, a campaign CSV row. Checks the data against the template's
// fields and fonts, derives the idempotent render id, stores the record once
// and queues it (eager) or leaves it for the first viewer (lazy).
import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import { ApiError } from '../config/api-error.ts';
import type { Storage } from '../storage/storage.ts';
import { validateData } from '../templates/fields.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import type { TemplateRegistry } from '../templates/registry.ts';
import { resolveInputs, segmentKeys, undrawableText } from '../render/personalize.ts';
import type { RenderMeta, RenderMode, RenderStore } from '../render/records.ts';
import { indexRender } from '../render/render-index.ts';
import { countIssued } from '../events/index.ts';
import { enqueueRender, PRIORITY, type RenderQueue } from '../queue/queues.ts';
import { signToken } from '../viewer/signing.ts';
import { acceptSeconds, type AcceptSource } from '../metrics/index.ts';

/** What accepting needs from the running service (an ApiContext has all of it). */
export interface AcceptDeps {
  config: Config;
  storage: Storage;
  registry: TemplateRegistry;
  store: RenderStore;
  renderQueue: RenderQueue;
  /** For the template's funnel: links issued. */
  redis: Redis;
}

export interface AcceptRequest {
  template: string;
  data: unknown;
  mode: RenderMode;
  externalId?: string;
  /** Seconds the link lives; the config's default when absent. */
  expiresIn?: number;
  /** The connector the request came through: events to endpoints bound to it follow the render. */
  connector?: string;
  /** What brought it, for the accept latency metric: the API (default), a connector hook, a CSV batch. */
  source?: AcceptSource;
}

export interface Accepted {
  /** False when the same template version + data + external id was accepted before (a retry). */
  created: boolean;
  meta: RenderMeta;
  state: string;
}

/** Same template version + data + external_id → same id (so MA-tool retries are free). */
function renderId(secret: Buffer, plan: TemplatePlan, data: Record<string, unknown>, externalId: string | undefined): string {
  const canonical = JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]]));
  return 'r' + createHmac('sha256', secret).update(JSON.stringify([plan.templateId, plan.version, canonical, externalId ?? null])).digest('base64url').slice(0, 24).replace(/[-_]/g, 'x');
}

/** Throws ApiError 404 (no template) or 422 (data fails the fields; problems carry pointers under /data). */
export async function acceptRender(deps: AcceptDeps, req: AcceptRequest): Promise<Accepted> {
  const end = acceptSeconds.startTimer({ source: req.source ?? 'api' });
  try {
    const r = await accept(deps, req);
    end({ outcome: r.created ? 'created' : 'existing' });
    return r;
  } catch (e) {
    end({ outcome: e instanceof ApiError ? 'rejected' : 'error' });
    throw e;
  }
}

async function accept(deps: AcceptDeps, req: AcceptRequest): Promise<Accepted> {
  const plan = await deps.registry.activePlan(req.template);
  if (!plan) throw new ApiError(404, 'template_not_found', `no template "${req.template}"; GET /v1/templates lists them`);
  const { value, problems } = validateData(plan.manifest.fields, req.data);
  if (problems.length) throw new ApiError(422, 'invalid_data', `${problems.length} field(s) do not match template "${plan.templateId}"`, problems);
  const undrawable = await undrawableText(plan, deps.storage, value);
  if (undrawable.length) throw new ApiError(422, 'invalid_data', `${undrawable.length} field(s) have characters template "${plan.templateId}" cannot draw`, undrawable);
  const id = renderId(deps.config.contentSecret, plan, value, req.externalId);
  const expiresAt = Math.floor(Date.now() / 1000) + (req.expiresIn ?? deps.config.defaultExpiresIn);
  const meta: RenderMeta = {
    id,
    templateId: plan.templateId,
    version: plan.version,
    mode: req.mode,
    externalId: req.externalId,
    ...(req.connector ? { connector: req.connector } : {}),
    createdAt: new Date().toISOString(),
    expiresAt,
    token: signToken(deps.config.signingKeys, id, expiresAt),
    segKeys: segmentKeys(plan, resolveInputs(plan, value), deps.config.contentSecret),
  };
  const existing = await deps.store.createIfAbsent(meta, value, req.mode === 'lazy' ? 'lazy' : 'queued');
  // Before queueing: a render being worked on is always findable by deletion (src/retention).
  await indexRender(deps.redis, existing ?? meta, deps.config.contentSecret, deps.config.retention.graceSec);
  if (existing) {
    const state = await deps.store.state(existing.id);
    // A lost enqueue (crash between the two writes) heals on the client's retry.
    if (state === 'queued') await enqueueRender(deps.renderQueue, existing.id, PRIORITY.eager);
    return { created: false, meta: existing, state: state ?? 'queued' };
  }
  if (req.mode === 'eager') await enqueueRender(deps.renderQueue, id, PRIORITY.eager);
  await countIssued(deps.redis, meta);
  return { created: true, meta, state: req.mode === 'lazy' ? 'lazy' : 'queued' };
}

/**
 * The viewer addresses of an accepted render, built here only. They start with PUBLIC_URL,
 * so they are https whenever it is (LINE takes only https video and preview URLs).
 * mp4_url + poster_url are what a LINE video message needs (originalContentUrl, previewImageUrl).
 */
export function renderUrls(publicUrl: string, meta: RenderMeta) {
  const base = `${publicUrl}/v/${meta.token}`;
  return {
    playlist_url: `${base}/index.m3u8`,
    player_url: `${base}/`,
    mp4_url: `${base}/video.mp4`,
    poster_url: `${base}/poster.jpg`,
    status_url: `${publicUrl}/v1/renders/${meta.id}`,
  };
}
