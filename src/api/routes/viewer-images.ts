// A person's images under their signed link: /v/<token>/poster.jpg (?play=1 with
// a play button, for emails), /v/<token>/og.jpg (1200×630 link card) and
// /v/<token>/preview.gif (a short loop for email clients that animate GIFs).
// Drawn on request from the mezzanine and this person's data, so they exist the
// moment a render is accepted (lazy ones included, no render needed); then kept
// in storage under a key derived from the overlay content key, so two people
// with identical overlays share one image. They show the person's name: private.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { params } from '../schemas.ts';
import { authorize } from './viewer.ts';
import { versionPrefix, type TemplatePlan } from '../../templates/plan.ts';
import type { RenderMeta } from '../../render/records.ts';
import { IMAGE_VERSION, posterFrame, segmentAt, type StillVariant } from '../../render/poster.ts';
import { gifSegments } from '../../render/preview-gif.ts';
import { personalImage } from '../personal-images.ts';

const TOKEN = { type: 'string', maxLength: 100 } as const;
const PLAY_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { play: { type: 'string', enum: ['0', '1'], errorMessage: 'must be 0 or 1' } },
} as const;

type Kind = StillVariant | 'gif';

export function viewerImageRoutes(app: FastifyInstance, ctx: ApiContext) {
  app.get<{ Params: { token: string }; Querystring: { play?: '0' | '1' } }>(
    '/v/:token/poster.jpg',
    { config: { scope: 'public' }, schema: { params: params({ token: TOKEN }), querystring: PLAY_QUERY } },
    (req, reply) => image(ctx, req, reply, req.query.play === '1' ? 'play' : 'poster'),
  );
  app.get<{ Params: { token: string } }>('/v/:token/og.jpg', { config: { scope: 'public' }, schema: { params: params({ token: TOKEN }) } }, (req, reply) => image(ctx, req, reply, 'og'));
  app.get<{ Params: { token: string } }>('/v/:token/preview.gif', { config: { scope: 'public' }, schema: { params: params({ token: TOKEN }) } }, (req, reply) => image(ctx, req, reply, 'gif'));
}

/**
 * Where an image is kept: named by the content keys of the personal segments it shows
 * (HMACs of exactly what is drawn there), so it says nothing about the person and is
 * the same for everyone whose overlays are the same.
 */
export function imageKey(plan: TemplatePlan, meta: RenderMeta, kind: Kind): string {
  const segs = kind === 'gif' ? gifSegments(plan) : [segmentAt(plan, posterFrame(plan))];
  // A static segment shows no overlay (its template key); a personal one without a content key is never shared.
  const content = segs.map((s) => meta.segKeys[String(s.index)] ?? (s.kind === 'static' ? s.key : `render:${meta.id}`));
  const digest = createHash('sha256').update(JSON.stringify([IMAGE_VERSION, kind, posterFrame(plan), content])).digest('base64url').slice(0, 32);
  return `${versionPrefix(plan.templateId, plan.version)}/img/${digest}.${kind === 'gif' ? 'gif' : 'jpg'}`;
}

async function image(ctx: ApiContext, req: FastifyRequest<{ Params: { token: string } }>, reply: FastifyReply, kind: Kind) {
  const meta = await authorize(ctx, req.params.token);
  const plan = await ctx.registry.plan(meta.templateId, meta.version);
  if (!plan) throw new ApiError(410, 'link_expired', 'this video is no longer available');
  const { bytes, maxAge } = await personalImage(ctx, meta, imageKey(plan, meta, kind), (data) => ctx.previews.image(plan, data, kind));
  return reply
    .headers({ 'content-type': kind === 'gif' ? 'image/gif' : 'image/jpeg', 'content-length': String(bytes.length), 'cache-control': `private, max-age=${maxAge}`, 'referrer-policy': 'no-referrer' })
    .send(bytes);
}
