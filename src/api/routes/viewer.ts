// What an end user's phone talks to: /v/<token>/index.m3u8, /v/<token>/<n>.ts
// and a player page at /v/<token>/. No API key, only the signed token. Shared
// segments, the same for every viewer of a template version, are at
// /s/<template>/<version>/<n>.ts, public and immutable (CDN-cacheable by path).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { verifyToken } from '../../viewer/signing.ts';
import { mediaPlaylist, viewerSegmentUri } from '../../viewer/playlist.ts';
import { bumpRender, enqueueRender, PRIORITY, settleLostFailure } from '../../queue/queues.ts';
import { params, SEGMENT_FILE, TEMPLATE_ID, VERSION_ID } from '../schemas.ts';
import type { RenderMeta } from '../../render/records.ts';
import type { TemplatePlan } from '../../templates/plan.ts';
import { playerPage } from '../../viewer/player-page.ts';
import { compositePlan } from '../../viewer/composite.ts';
import { startLayerImages } from '../personal-images.ts';
import { WATCH_SCRIPT_FILE, watchScript } from '../../viewer/watch-script.ts';
import { acceptBeacon, beaconGate, PROGRESS_MARKS, recordOpen, VIEWER_EVENTS, type ViewerEventType } from '../../events/index.ts';
import { captionsVtt } from '../../viewer/captions.ts';
import { ctaLink } from '../../templates/watch-link.ts';
import { SCRIPT_TYPE } from '../../viewer/browser-bundle.ts';
import { jitUnavailableTotal, jitWaitSeconds } from '../../metrics/index.ts';

const require = createRequire(import.meta.url);
let hlsJs: Buffer | undefined;

export const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length' };
/** Tokens are checked (403 / 410) by verifyToken; the schema only bounds what reaches it. */
const TOKEN = { type: 'string', maxLength: 100 } as const;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const PLAYER_FILE = { type: 'string', pattern: WATCH_SCRIPT_FILE.source, errorMessage: 'must be watch.<hash>.js' } as const;
/** A beacon is a few dozen bytes; anything much bigger is not one. */
const BEACON_BYTES = 1024;

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

export function viewerRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.get<{ Params: { token: string } }>('/v/:token/index.m3u8', { config: { scope: 'public' }, schema: { params: params({ token: TOKEN }) } }, (req, reply) => playlist(ctx, req, reply));
  // Shared segments by template version: no token, since they carry nothing personal.
  app.get<{ Params: { template: string; version: string; seg: string } }>(
    '/s/:template/:version/:seg',
    { config: { scope: 'public' }, schema: { params: params({ template: TEMPLATE_ID, version: VERSION_ID, seg: SEGMENT_FILE }) } },
    (req, reply) => sharedSegment(ctx, req, reply),
  );
  app.get<{ Params: { token: string; seg: string } }>('/v/:token/:seg', { config: { scope: 'public' }, schema: { params: params({ token: TOKEN, seg: SEGMENT_FILE }) } }, (req, reply) => viewerSegment(ctx, req, reply));
  app.get<{ Params: { token: string } }>('/v/:token/', { config: { scope: 'public' }, schema: { params: params({ token: TOKEN }) } }, (req, reply) => player(ctx, req, reply));
  app.get<{ Params: { token: string } }>('/v/:token/captions.vtt', { config: { scope: 'public' }, schema: { params: params({ token: TOKEN }) } }, (req, reply) => captions(ctx, req, reply));
  void app.register(async (beacons) => {
    // navigator.sendBeacon(url, string) sends text/plain: here (only) it is read as the JSON it is.
    beacons.addContentTypeParser('text/plain', { parseAs: 'string' }, beacons.getDefaultJsonParser('error', 'error'));
    beacons.post<{ Params: { token: string }; Body: BeaconBody }>(
      '/v/:token/events',
      // The allowance is spent before the body is read: malformed, oversized and invalid posts count towards a flood too.
      { config: { scope: 'public' }, bodyLimit: BEACON_BYTES, schema: { params: params({ token: TOKEN }), body: BEACON_BODY }, onRequest: (req) => limitBeacons(ctx, req as TokenRequest) },
      (req, reply) => beacon(ctx, req, reply),
    );
  });
  // A landing page elsewhere may report too: its JSON POST is preceded by this preflight.
  app.options('/v/:token/events', { config: { scope: 'public' } }, async (_req, reply) =>
    reply.code(204).headers({ ...CORS, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '86400' }).send(),
  );
  app.get('/player/hls.min.js', { config: { scope: 'public' } }, async (_req, reply) => {
    hlsJs ??= readFileSync(require.resolve('hls.js/dist/hls.min.js'));
    return reply.headers({ 'content-type': SCRIPT_TYPE, 'cache-control': 'public, max-age=86400' }).send(hlsJs);
  });
  // The watch page's own script, named by its content: cached for a year.
  app.get<{ Params: { file: string } }>('/player/:file', { config: { scope: 'public' }, schema: { params: params({ file: PLAYER_FILE }) } }, async (req, reply) => {
    const s = await watchScript();
    if (s.url !== `/player/${req.params.file}`) throw new ApiError(404, 'not_found', 'no such player file');
    return reply.headers({ 'content-type': SCRIPT_TYPE, 'cache-control': IMMUTABLE, 'x-content-type-options': 'nosniff' }).send(s.body);
  });
  // Bundled now (≈ 50 ms), so the first viewer's page does not wait for it; a failure is retried on use.
  watchScript().catch(() => {});
}

export async function authorize(ctx: ApiContext, token: string): Promise<RenderMeta> {
  const check = verifyToken(ctx.config.signingKeys, token);
  if (!check.ok) {
    if (check.reason === 'expired') throw new ApiError(410, 'link_expired', 'this video link has expired', undefined, CORS);
    throw new ApiError(403, 'forbidden', 'invalid video link', undefined, CORS);
  }
  const meta = await ctx.store.meta(check.renderId);
  if (!meta) throw new ApiError(410, 'link_expired', 'this video is no longer available', undefined, CORS);
  return meta;
}

export async function startIfLazy(ctx: ApiContext, meta: RenderMeta): Promise<void> {
  if (meta.mode === 'lazy' && (await ctx.store.startLazy(meta.id))) {
    // Someone is watching right now: render ahead of eager work.
    await enqueueRender(ctx.renderQueue, meta.id, PRIORITY.viewer);
  }
}

/**
 * Whether this person's first personalized segment is stored: the stitched stream then
 * starts without waiting on the encoder. When it is not, the watch page composites the
 * overlays itself over the template rendition (viewer-fallback.ts).
 */
export async function firstPersonalReady(ctx: ApiContext, meta: RenderMeta, plan: TemplatePlan): Promise<boolean> {
  const first = plan.segments.find((s) => s.kind === 'dynamic');
  const key = first && meta.segKeys[String(first.index)];
  return !first || (!!key && !!(await ctx.storage.head(key)));
}

async function sendObject(ctx: ApiContext, reply: FastifyReply, key: string, cache: string) {
  const obj = await ctx.storage.open(key);
  if (!obj) throw new ApiError(404, 'not_found', 'segment missing', undefined, CORS);
  return reply
    .headers({ ...CORS, 'content-type': 'video/mp2t', 'content-length': String(obj.size), 'cache-control': cache })
    .send(obj.stream());
}

async function playlist(ctx: ApiContext, req: TokenRequest, reply: FastifyReply) {
  const meta = await authorize(ctx, req.params.token);
  const plan = await ctx.registry.plan(meta.templateId, meta.version);
  if (!plan) throw new ApiError(410, 'link_expired', 'this video is no longer available', undefined, CORS);
  await startIfLazy(ctx, meta);
  return reply
    .headers({ ...CORS, 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'private, max-age=3600' })
    .send(mediaPlaylist(plan, viewerSegmentUri(plan, ctx.config.segmentBaseUrl)));
}

async function sharedSegment(ctx: ApiContext, req: FastifyRequest<{ Params: { template: string; version: string; seg: string } }>, reply: FastifyReply) {
  const plan = await ctx.registry.plan(req.params.template, req.params.version);
  const seg = plan?.segments[parseInt(req.params.seg, 10)];
  // A personalized position has no shared bytes to give: only its viewer's token reaches it.
  if (!seg || seg.kind !== 'static') throw new ApiError(404, 'not_found', 'no such shared segment', undefined, CORS);
  return sendObject(ctx, reply, seg.key, IMMUTABLE);
}

async function viewerSegment(ctx: ApiContext, req: FastifyRequest<{ Params: { token: string; seg: string } }>, reply: FastifyReply) {
  const meta = await authorize(ctx, req.params.token);
  const plan = await ctx.registry.plan(meta.templateId, meta.version);
  const seg = plan?.segments[parseInt(req.params.seg, 10)];
  if (!plan || !seg) throw new ApiError(404, 'not_found', 'no such segment', undefined, CORS);
  if (seg.kind === 'static') {
    // Playlists point at /s/…; this answers players holding a playlist from before that.
    return sendObject(ctx, reply, seg.key, IMMUTABLE);
  }
  const key = meta.segKeys[String(seg.index)]!;
  if (!(await ctx.storage.head(key))) {
    const failed = await waitForRender(ctx, meta, [key]);
    // Rendering gave up: the viewer still gets a whole video, without this overlay.
    if (failed) return sendObject(ctx, reply, seg.key, 'private, no-store');
  }
  return sendObject(ctx, reply, key, 'private, max-age=31536000, immutable');
}

/**
 * Personal segments not written yet: true when their render has failed for good; else
 * the render is started or moved up, and this waits for all of them together, at most
 * the JIT wait (503 when they are late).
 */
export async function waitForRender(ctx: ApiContext, meta: RenderMeta, keys: string[]): Promise<boolean> {
  const part = await ctx.store.part(meta.id);
  const { state } = await settleLostFailure(ctx.store, ctx.renderQueue, meta.id, await ctx.store.state(meta.id), part);
  if (state === 'failed') return true;
  await startIfLazy(ctx, meta);
  await bumpRender(ctx.renderQueue, meta.id, part);
  const until = Date.now() + ctx.config.jitWaitMs;
  const waited = jitWaitSeconds.startTimer();
  let ok = true;
  for (const key of keys) if (!(ok = await ctx.waiter.wait(key, Math.max(0, until - Date.now())))) break;
  waited({ outcome: ok ? 'ready' : 'timeout' });
  if (!ok) jitUnavailableTotal.inc();
  if (!ok) throw new ApiError(503, 'rendering', 'this part of the video is still being prepared; retry shortly', undefined, { ...CORS, 'retry-after': '2' });
  return false;
}

async function player(ctx: ApiContext, req: TokenRequest, reply: FastifyReply) {
  const meta = await authorize(ctx, req.params.token);
  const plan = await ctx.registry.plan(meta.templateId, meta.version);
  await startIfLazy(ctx, meta);
  await recordOpen(ctx.redis, meta, req);
  const watch = plan?.manifest.watch;
  // The CTA is filled in with this person's data here, so the page carries no data beyond it.
  const data = plan && watch?.cta ? await ctx.store.data(meta.id) : null;
  const ready = plan ? await firstPersonalReady(ctx, meta, plan) : true;
  // The browser composite: its layer images drawn from now, its plan in the page (no round trips before the first frame).
  if (plan && !ready) startLayerImages(ctx, meta, plan, req.log);
  const composite = plan && !ready ? compositePlan(plan, req.params.token, false) : undefined;
  const { url: script } = await watchScript();
  return reply
    .headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'private, no-cache', 'referrer-policy': 'no-referrer' })
    .send(
      playerPage({
        title: watch?.title ?? plan?.manifest.name ?? 'Video',
        description: watch?.description,
        pageUrl: `${ctx.config.publicUrl}/v/${req.params.token}/`,
        width: plan?.width ?? 16,
        height: plan?.height ?? 9,
        lang: watch?.lang,
        ready,
        composite,
        cta: plan && data ? ctaLink(plan.manifest, data, { templateId: meta.templateId, renderId: meta.id }) : null,
        script,
      }),
    );
}

/** Captions from this person's overlay text (WebVTT), for sound-off viewing and screen readers. */
async function captions(ctx: ApiContext, req: TokenRequest, reply: FastifyReply) {
  const meta = await authorize(ctx, req.params.token);
  const plan = await ctx.registry.plan(meta.templateId, meta.version);
  const data = await ctx.store.data(meta.id);
  if (!plan || !data) throw new ApiError(410, 'link_expired', 'this video is no longer available', undefined, CORS);
  return reply
    .headers({ ...CORS, 'content-type': 'text/vtt; charset=utf-8', 'cache-control': 'private, max-age=3600' })
    .send(captionsVtt(plan, data));
}

interface BeaconBody {
  type: ViewerEventType;
  percent?: (typeof PROGRESS_MARKS)[number];
}

/** What the player page reports; video.progress says how far (25, 50 or 75 %), the others nothing more. */
const BEACON_BODY = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: VIEWER_EVENTS, errorMessage: `must be one of ${VIEWER_EVENTS.join(', ')}` },
    percent: { type: 'integer', enum: PROGRESS_MARKS, errorMessage: `must be one of ${PROGRESS_MARKS.join(', ')}` },
  },
  if: { properties: { type: { const: 'video.progress' } } },
  then: { required: ['percent'] },
  else: { properties: { percent: { not: {}, errorMessage: 'goes only with type video.progress' } } },
} as const;

/** Beacons a render's token may post are limited (views.ts BEACON_LIMIT a minute); past that, 429 with Retry-After. */
const beaconMeta = new WeakMap<FastifyRequest, RenderMeta>();
async function limitBeacons(ctx: ApiContext, req: TokenRequest): Promise<void> {
  const check = verifyToken(ctx.config.signingKeys, req.params.token);
  if (!check.ok) return void (await authorize(ctx, req.params.token)); // 403 / 410, as for every /v/ route
  const gate = await beaconGate(ctx.redis, check.renderId);
  if (!gate) throw new ApiError(410, 'link_expired', 'this video is no longer available', undefined, CORS);
  if (gate.retryAfter > 0) throw new ApiError(429, 'too_many_events', 'too many events for this video link; retry later', undefined, { ...CORS, 'retry-after': String(gate.retryAfter) });
  beaconMeta.set(req, gate.meta);
}

/**
 * A viewer event from the page (docs/events.md): the token is the only credential. It is
 * recorded once per render and step; each (render, type, percent) goes out once per minute at most.
 */
async function beacon(ctx: ApiContext, req: FastifyRequest<{ Params: { token: string }; Body: BeaconBody }>, reply: FastifyReply) {
  const meta = beaconMeta.get(req) ?? (await authorize(ctx, req.params.token));
  const { type, percent } = req.body;
  await acceptBeacon(ctx.redis, ctx.events, meta, type, percent, (e) => req.log.warn({ err: e.message.split('\n')[0]!.slice(0, 200), type }, 'viewer event not queued for webhooks'));
  return reply.code(204).headers(CORS).send();
}
