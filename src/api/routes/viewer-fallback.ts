// The watch page's browser composite (README "How the watch page chooses…"):
// when a person's personal segments are not ready, the page plays the template
// rendition and draws their overlays itself. Under the viewer's token:
// /v/<token>/overlays.json (frame size, fps, each layer's image, box, window and
// animation), /v/<token>/layers/<n>.png (a layer drawn for this person, like the
// poster) and /v/<token>/base.m3u8 (the template's own segments only). The
// template originals of personalized positions are public at
// /s/<template>/<version>/template/<n>.ts: they carry nothing personal.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { params, TEMPLATE_ID, VERSION_ID, SEGMENT_FILE } from '../schemas.ts';
import { authorize, CORS, firstPersonalReady } from './viewer.ts';
import type { TemplatePlan } from '../../templates/plan.ts';
import type { RenderMeta } from '../../render/records.ts';
import { mediaPlaylist, staticSegmentPath } from '../../viewer/playlist.ts';
import { compositePlan, templateSegmentPath } from '../../viewer/composite.ts';
import { layerImage } from '../personal-images.ts';

const TOKEN = { type: 'string', maxLength: 100 } as const;
const LAYER_FILE = { type: 'string', pattern: '^[0-9]{1,3}\\.png$', errorMessage: 'must be a layer image name like "0.png"' } as const;
const PUBLIC = { scope: 'public' } as const;

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

export function viewerFallbackRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.get<{ Params: { token: string } }>('/v/:token/overlays.json', { config: PUBLIC, schema: { params: params({ token: TOKEN }) } }, (req, reply) => overlaysJson(ctx, req, reply));
  app.get<{ Params: { token: string; file: string } }>('/v/:token/layers/:file', { config: PUBLIC, schema: { params: params({ token: TOKEN, file: LAYER_FILE }) } }, (req, reply) => layerImageRoute(ctx, req, reply));
  app.get<{ Params: { token: string } }>('/v/:token/base.m3u8', { config: PUBLIC, schema: { params: params({ token: TOKEN }) } }, (req, reply) => basePlaylist(ctx, req, reply));
  app.get<{ Params: { template: string; version: string; seg: string } }>(
    '/s/:template/:version/template/:seg',
    { config: PUBLIC, schema: { params: params({ template: TEMPLATE_ID, version: VERSION_ID, seg: SEGMENT_FILE }) } },
    (req, reply) => templateSegment(ctx, req, reply),
  );
}

async function planOf(ctx: ApiContext, meta: RenderMeta): Promise<TemplatePlan> {
  const plan = await ctx.registry.plan(meta.templateId, meta.version);
  if (!plan) throw new ApiError(410, 'link_expired', 'this video is no longer available', undefined, CORS);
  return plan;
}

async function overlaysJson(ctx: ApiContext, req: TokenRequest, reply: FastifyReply) {
  const meta = await authorize(ctx, req.params.token);
  const plan = await planOf(ctx, meta);
  const body = compositePlan(plan, req.params.token, await firstPersonalReady(ctx, meta, plan));
  // `ready` changes once: never cached.
  return reply.headers({ ...CORS, 'cache-control': 'private, no-store' }).send(body);
}

async function layerImageRoute(ctx: ApiContext, req: FastifyRequest<{ Params: { token: string; file: string } }>, reply: FastifyReply) {
  const meta = await authorize(ctx, req.params.token);
  const plan = await planOf(ctx, meta);
  const index = parseInt(req.params.file, 10);
  if (!plan.manifest.layers[index]) throw new ApiError(404, 'not_found', `this video has no layer ${index}`, undefined, CORS);
  const { bytes, maxAge } = await layerImage(ctx, meta, plan, index, CORS);
  return reply
    .headers({ ...CORS, 'content-type': 'image/png', 'content-length': String(bytes.length), 'cache-control': `private, max-age=${maxAge}`, 'referrer-policy': 'no-referrer' })
    .send(bytes);
}

/** The template rendition: the same durations as the viewer's playlist, only template segments. */
async function basePlaylist(ctx: ApiContext, req: TokenRequest, reply: FastifyReply) {
  const meta = await authorize(ctx, req.params.token);
  const plan = await planOf(ctx, meta);
  const uri = (i: number) => (plan.segments[i]!.kind === 'static' ? staticSegmentPath(plan.templateId, plan.version, i) : templateSegmentPath(plan.templateId, plan.version, i));
  return reply
    .headers({ ...CORS, 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'private, max-age=3600' })
    .send(mediaPlaylist(plan, uri));
}

async function templateSegment(ctx: ApiContext, req: FastifyRequest<{ Params: { template: string; version: string; seg: string } }>, reply: FastifyReply) {
  const plan = await ctx.registry.plan(req.params.template, req.params.version);
  const seg = plan?.segments[parseInt(req.params.seg, 10)];
  if (!seg) throw new ApiError(404, 'not_found', 'no such template segment', undefined, CORS);
  const obj = await ctx.storage.open(seg.key);
  if (!obj) throw new ApiError(404, 'not_found', 'segment missing', undefined, CORS);
  return reply
    .headers({ ...CORS, 'content-type': 'video/mp2t', 'content-length': String(obj.size), 'cache-control': 'public, max-age=31536000, immutable' })
    .send(obj.stream());
}
