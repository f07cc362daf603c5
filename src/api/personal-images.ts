// Images that show a person (poster, link card, GIF, the browser composite's layer
// images): stored once drawn, under keys derived from overlay content keys, counted
// against the render so deletion removes them. Used by the viewer routes; here, not in
// one of them, so the watch page's route can start the layer images without importing
// a route module that imports it back.
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { ApiContext } from './context.ts';
import { ApiError } from './errors.ts';
import { versionPrefix, type TemplatePlan } from '../templates/plan.ts';
import type { RenderMeta } from '../render/records.ts';
import { IMAGE_VERSION } from '../render/poster.ts';
import { addObjectRef, dropIfUnreferenced } from '../render/render-index.ts';

type Draw = (data: Record<string, unknown>) => Promise<Buffer>;

/** Images being drawn, by render and key: the page's own start and its head's request share one drawing. */
const drawing = new Map<string, Promise<Buffer | null>>();

/** Draws and stores the image once however many ask meanwhile; null when the render's data is gone. */
function drawOnce(ctx: ApiContext, meta: RenderMeta, key: string, draw: Draw): Promise<Buffer | null> {
  const id = `${meta.id} ${key}`;
  let p = drawing.get(id);
  if (!p) {
    p = (async () => {
      const data = await ctx.store.data(meta.id);
      if (!data) return null;
      const bytes = await draw(data);
      await ctx.storage.put(key, bytes);
      return bytes;
    })().finally(() => drawing.delete(id));
    drawing.set(id, p);
  }
  return p;
}

/**
 * An image that shows the person: stored once drawn, counted against the render so deletion
 * removes it (with the last render sharing it), and how long a browser may keep it (until
 * the link dies; shared caches never). `headers` go on a refusal too (the composite's
 * layers are fetched cross-origin).
 */
export async function personalImage(
  ctx: ApiContext,
  meta: RenderMeta,
  key: string,
  draw: Draw,
  headers?: Record<string, string>,
): Promise<{ bytes: Buffer; maxAge: number }> {
  const gone = () => new ApiError(410, 'link_expired', 'this video is no longer available', undefined, headers);
  const bytes = (await ctx.storage.get(key)) ?? (await drawOnce(ctx, meta, key, draw));
  if (!bytes) throw gone();
  if (!(await addObjectRef(ctx.redis, meta.id, key))) {
    await dropIfUnreferenced(ctx.redis, ctx.storage, key);
    throw gone();
  }
  return { bytes, maxAge: Math.max(0, Math.min(86_400, meta.expiresAt - Math.floor(Date.now() / 1000))) };
}

/**
 * Where a layer image is kept: named by the content key of a personal segment showing the
 * layer (an HMAC of exactly what is drawn there), like the poster: nothing about the person
 * in the name, one image for everyone whose overlay is the same.
 */
export function layerImageKey(plan: TemplatePlan, meta: RenderMeta, index: number): string {
  const id = plan.manifest.layers[index]!.id;
  const seg = plan.segments.find((s) => s.kind === 'dynamic' && s.layers.includes(id));
  const content = (seg && meta.segKeys[String(seg.index)]) ?? `render:${meta.id}`;
  const digest = createHash('sha256').update(JSON.stringify([IMAGE_VERSION, 'layer', index, content])).digest('base64url').slice(0, 32);
  return `${versionPrefix(plan.templateId, plan.version)}/img/${digest}.png`;
}

/** Layer `index`'s overlay PNG for this person (/v/<token>/layers/<n>.png), drawn in the preview process ahead of posters. */
export function layerImage(ctx: ApiContext, meta: RenderMeta, plan: TemplatePlan, index: number, headers?: Record<string, string>) {
  return personalImage(ctx, meta, layerImageKey(plan, meta, index), (data) => ctx.previews.layerImage(plan, data, index), headers);
}

/**
 * The watch page is being served to play the browser composite: its layer images are
 * drawn now, not once the page's head asks for them (bench/README "Issue 13": under 8
 * viewers at once the drawing, not the network, was the wait). Not awaited; the page's
 * requests join a drawing in progress.
 */
export function startLayerImages(ctx: ApiContext, meta: RenderMeta, plan: TemplatePlan, log: FastifyBaseLogger): void {
  plan.manifest.layers.forEach((_, index) => {
    void (async () => {
      if (!(await ctx.storage.head(layerImageKey(plan, meta, index)))) await layerImage(ctx, meta, plan, index);
    })().catch((e: Error) => log.warn({ err: { type: e.name }, render: meta.id, layer: index }, 'layer image not drawn ahead'));
  });
}
