// /v/<token>/video.mp4: the person's whole video as one MP4 (docs/api.md "MP4"), for
// LINE video messages, downloads and players without HLS. Remuxed from the same
// segments as the playlist on first request, then served from storage with single
// Range requests (206), ETag and Last-Modified, as browsers and LINE's servers expect.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { params } from '../schemas.ts';
import { parseRange } from '../byte-range.ts';
import { authorize, CORS, waitForRender } from './viewer.ts';
import { ensureMp4, LINE_MAX_BYTES, mp4Key, stitchedKeys } from '../../viewer/mp4.ts';
import { addObjectRef, dropIfUnreferenced } from '../../render/render-index.ts';

const TOKEN = { type: 'string', maxLength: 100 } as const;
const MP4_CORS = { ...CORS, 'access-control-expose-headers': 'content-length, content-range, accept-ranges, etag' };

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

export function mp4Routes(app: FastifyInstance, ctx: ApiContext) {
  // GET and HEAD declared together: LINE's fetcher and some players ask HEAD first for the size.
  app.route<{ Params: { token: string } }>({
    method: ['GET', 'HEAD'],
    url: '/v/:token/video.mp4',
    config: { scope: 'public' },
    schema: { params: params({ token: TOKEN }) },
    handler: (req, reply) => mp4(ctx, req, reply),
  });
}

async function mp4(ctx: ApiContext, req: TokenRequest, reply: FastifyReply) {
  const meta = await authorize(ctx, req.params.token);
  const plan = await ctx.registry.plan(meta.templateId, meta.version);
  if (!plan) throw new ApiError(410, 'link_expired', 'this video is no longer available', undefined, CORS);
  const personal = plan.segments.flatMap((s) => (s.kind === 'dynamic' && meta.segKeys[String(s.index)] ? [meta.segKeys[String(s.index)]!] : []));
  const missing: string[] = [];
  for (const k of personal) if (!(await ctx.storage.head(k))) missing.push(k);
  // Never a partial file: every personal segment is there, or this waits (then 503), or
  // the render failed for good. Then, as the segment route does for HLS, the template's own
  // segment stands in for each personal one never written: the viewer gets the whole video
  // without that overlay, nothing personal that is wrong (see docs/api.md).
  const fallback = missing.length > 0 && (await waitForRender(ctx, meta, missing));
  const present = fallback ? new Set(personal.filter((k) => !missing.includes(k))) : undefined;
  const keys = stitchedKeys(plan, meta, (k) => !present || present.has(k));
  const key = await ensureMp4(ctx.storage, keys, mp4Key(keys));
  // Deleted with the render (or with the last render sharing it).
  if (!(await addObjectRef(ctx.redis, meta.id, key))) {
    await dropIfUnreferenced(ctx.redis, ctx.storage, key);
    throw new ApiError(410, 'link_expired', 'this video is no longer available', undefined, CORS);
  }
  const obj = await ctx.storage.open(key);
  if (!obj) throw new ApiError(404, 'not_found', 'video missing', undefined, CORS);
  // Still served (downloads, browsers), but a LINE video message with it would be refused.
  if (obj.size > LINE_MAX_BYTES) req.log.warn({ template: meta.templateId, version: meta.version, bytes: obj.size }, 'MP4 is over LINE\'s 200 MB video message limit');

  // The key is a hash of the segment keys, the bytes never change under it: a strong validator.
  const etag = `"${key.slice(key.lastIndexOf('/') + 1, -'.mp4'.length)}"`;
  const lastModified = obj.mtime.toUTCString();
  const headers: Record<string, string> = {
    ...MP4_CORS,
    'content-type': 'video/mp4',
    'accept-ranges': 'bytes',
    etag,
    'last-modified': lastModified,
    // A stand-in for a failed render is not this person's final video: no one keeps it.
    'cache-control': fallback ? 'private, no-store' : 'private, max-age=31536000, immutable',
  };
  if (req.headers['if-none-match']?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    return reply.code(304).headers(headers).send();
  }
  // If-Range: the range holds only for the same bytes (a changed validator gets the whole file).
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag && ifRange !== lastModified ? ({ kind: 'full' } as const) : parseRange(req.headers.range, obj.size);
  if (range.kind === 'unsatisfiable') {
    return reply.code(416).headers({ ...headers, 'content-range': `bytes */${obj.size}` }).send();
  }
  const [status, start, end] = range.kind === 'partial' ? [206, range.start, range.end] : [200, 0, obj.size - 1];
  reply.code(status).headers({ ...headers, 'content-length': String(end - start + 1), ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${obj.size}` } : {}) });
  if (req.method === 'HEAD' || obj.size === 0) return reply.send();
  return reply.send(obj.stream({ start, end }));
}
