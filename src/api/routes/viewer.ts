// What an end user's phone talks to: /v/<token>/index.m3u8, /v/<token>/<n>.ts
// and a player page at /v/<token>/. No API key, only the signed token.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { verifyToken } from '../../viewer/signing.ts';
import { mediaPlaylist } from '../../viewer/playlist.ts';
import { bumpRender, enqueueRender, PRIORITY } from '../../queue/queues.ts';
import type { RenderMeta } from '../../render/records.ts';
import { playerPage } from '../../viewer/player-page.ts';

const require = createRequire(import.meta.url);
let hlsJs: Buffer | undefined;

const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length' };

export function viewerRoutes(app: FastifyInstance, ctx: ApiContext) {
  async function authorize(token: string): Promise<RenderMeta> {
    const check = verifyToken(ctx.config.signingKeys, token);
    if (!check.ok) {
      if (check.reason === 'expired') throw new ApiError(410, 'link_expired', 'this video link has expired', undefined, CORS);
      throw new ApiError(403, 'forbidden', 'invalid video link', undefined, CORS);
    }
    const meta = await ctx.store.meta(check.renderId);
    if (!meta) throw new ApiError(410, 'link_expired', 'this video is no longer available', undefined, CORS);
    return meta;
  }

  async function startIfLazy(meta: RenderMeta): Promise<void> {
    if (meta.mode === 'lazy' && (await ctx.store.startLazy(meta.id))) {
      // Someone is watching right now: render ahead of eager work.
      await enqueueRender(ctx.renderQueue, meta.id, PRIORITY.viewer);
    }
  }

  app.get<{ Params: { token: string } }>('/v/:token/index.m3u8', async (req, reply) => {
    const meta = await authorize(req.params.token);
    const plan = await ctx.registry.plan(meta.templateId, meta.version);
    if (!plan) throw new ApiError(410, 'link_expired', 'this video is no longer available', undefined, CORS);
    await startIfLazy(meta);
    return reply
      .headers({ ...CORS, 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'private, max-age=3600' })
      .send(mediaPlaylist(plan));
  });

  app.get<{ Params: { token: string; seg: string } }>('/v/:token/:seg', async (req, reply) => {
    const m = /^(\d{1,5})\.ts$/.exec(req.params.seg);
    if (!m) throw new ApiError(404, 'not_found', 'no such file', undefined, CORS);
    const meta = await authorize(req.params.token);
    const plan = await ctx.registry.plan(meta.templateId, meta.version);
    const seg = plan?.segments[Number(m[1])];
    if (!plan || !seg) throw new ApiError(404, 'not_found', 'no such segment', undefined, CORS);
    if (seg.kind === 'static') {
      // Shared by every viewer and never personal: a CDN may cache it by path without the token.
      return sendObject(reply, seg.key, 'public, max-age=31536000, immutable');
    }
    const key = meta.segKeys[String(seg.index)]!;
    if (!(await ctx.storage.head(key))) {
      if ((await ctx.store.state(meta.id)) === 'failed') {
        // Rendering gave up: the viewer still gets a whole video, without this overlay.
        return sendObject(reply, seg.key, 'private, no-store');
      }
      await startIfLazy(meta);
      await bumpRender(ctx.renderQueue, meta.id);
      const ok = await ctx.waiter.wait(key, ctx.config.jitWaitMs);
      if (!ok) throw new ApiError(503, 'rendering', 'this part of the video is still being prepared; retry shortly', undefined, { ...CORS, 'retry-after': '2' });
    }
    return sendObject(reply, key, 'private, max-age=31536000, immutable');
  });

  async function sendObject(reply: FastifyReply, key: string, cache: string) {
    const obj = await ctx.storage.open(key);
    if (!obj) throw new ApiError(404, 'not_found', 'segment missing', undefined, CORS);
    return reply
      .headers({ ...CORS, 'content-type': 'video/mp2t', 'content-length': String(obj.size), 'cache-control': cache })
      .send(obj.stream());
  }

  app.get<{ Params: { token: string } }>('/v/:token/', async (req, reply) => {
    const meta = await authorize(req.params.token);
    const plan = await ctx.registry.plan(meta.templateId, meta.version);
    await startIfLazy(meta);
    return reply
      .headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'private, no-cache', 'referrer-policy': 'no-referrer' })
      .send(playerPage({ title: plan?.manifest.name ?? 'Video', width: plan?.width ?? 16, height: plan?.height ?? 9 }));
  });

  app.get('/player/hls.min.js', async (_req, reply) => {
    hlsJs ??= readFileSync(require.resolve('hls.js/dist/hls.min.js'));
    return reply.headers({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400' }).send(hlsJs);
  });
}
