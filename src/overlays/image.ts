// Image layers (a packaged picture, or a photo URL from the data), plus the
// canvas plumbing the other non-text layers share: a box-sized canvas,
// decoding, and contain/cover drawing with rounded corners.
import { createCanvas, loadImage, type Canvas, type Image, type SKRSContext2D } from '@napi-rs/canvas';
import { renderText } from './handlebars.ts';
import { drawTextLayer, finite, overlayOf } from './text-layout.ts';
import { fetchImage, ImageFetchError } from './fetch-image.ts';
import type { ImageLayer, LayerBase, TextLayer, TextStyle } from './types.ts';
import type { AssetSource, DrawContext, ImageFetchPolicy, LayerDrawing } from './draw-layer.ts';

/** URLs longer than this are treated as missing: no image server needs them, and they would bloat content keys. */
export const MAX_URL_LENGTH = 2048;

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

export function colorOr(v: unknown, fallback: string): string {
  return typeof v === 'string' && v.trim() !== '' ? v : fallback;
}

/** A transparent canvas of exactly the layer's box size (whole pixels, at least 1×1). */
export function layerCanvas(layer: LayerBase): { canvas: Canvas; g: SKRSContext2D; width: number; height: number } {
  const width = Math.max(1, Math.round(finite(layer.box?.width, 1)));
  const height = Math.max(1, Math.round(finite(layer.box?.height, 1)));
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.imageSmoothingEnabled = true;
  g.imageSmoothingQuality = 'high';
  return { canvas, g, width, height };
}

export function drawingOf(layer: LayerBase, canvas: Canvas, warnings: string[]): LayerDrawing {
  return { ...overlayOf(layer, canvas), warnings };
}

/** A short reason code for a warning: never the URL or any other data. */
export function failureReason(e: unknown): string {
  return e instanceof ImageFetchError ? e.reason : 'not_an_image';
}

/** A packaged image; a missing or undecodable file is a template error and throws. */
export async function loadPackagedImage(assets: AssetSource, file: string): Promise<Image> {
  const bytes = await assets.read(file);
  try {
    return await loadImage(bytes);
  } catch {
    throw new Error(`template image ${file} cannot be decoded`);
  }
}

/** Fetches and decodes an image from the data; throws ImageFetchError. */
export async function loadRemoteImage(url: string, policy: ImageFetchPolicy): Promise<Image> {
  const bytes = await fetchImage(url, policy);
  try {
    return await loadImage(bytes);
  } catch {
    throw new ImageFetchError('not_an_image');
  }
}

export interface Rect { x: number; y: number; w: number; h: number }

/** Draws img into r: 'contain' letterboxes (corners round on the picture itself), 'cover' crops to fill r. */
export function drawFitted(g: SKRSContext2D, img: Image, r: Rect, fit: 'contain' | 'cover', radius: number): void {
  const iw = img.width;
  const ih = img.height;
  if (!(iw > 0 && ih > 0 && r.w > 0 && r.h > 0)) return;
  g.save();
  if (fit === 'cover') {
    const s = Math.max(r.w / iw, r.h / ih);
    const sw = r.w / s;
    const sh = r.h / s;
    clipRound(g, r, radius);
    g.drawImage(img, (iw - sw) / 2, (ih - sh) / 2, sw, sh, r.x, r.y, r.w, r.h);
  } else {
    const s = Math.min(r.w / iw, r.h / ih);
    const d = { x: r.x + (r.w - iw * s) / 2, y: r.y + (r.h - ih * s) / 2, w: iw * s, h: ih * s };
    clipRound(g, d, radius);
    g.drawImage(img, d.x, d.y, d.w, d.h);
  }
  g.restore();
}

function clipRound(g: SKRSContext2D, r: Rect, radius: number): void {
  if (radius <= 0) return;
  g.beginPath();
  g.roundRect(r.x, r.y, r.w, r.h, Math.min(radius, r.w / 2, r.h / 2));
  g.clip();
}

/**
 * Draws text into r exactly as a text layer with this style would (shrink or
 * wrap, kinsoku, '…', stroke, shadow, pill), so cards and charts read like
 * the template's other text.
 */
export async function drawTextIn(g: SKRSContext2D, r: Rect, text: string, style: TextStyle, fit: 'shrink' | 'wrap' = 'shrink'): Promise<void> {
  const x = Math.round(r.x);
  const y = Math.round(r.y);
  const w = Math.round(r.w);
  const h = Math.round(r.h);
  if (w < 1 || h < 1 || text.trim() === '') return;
  const layer: TextLayer = { id: 'part', type: 'text', start: 0, end: 1, box: { x: 0, y: 0, width: w, height: h }, text: '', style, fit };
  g.drawImage(await loadImage(drawTextLayer(layer, text).png), x, y);
}

/** The resolved URL from the data, or '' when it is missing, too long or not a URL at all. */
export function resolveImageUrl(source: string, data: Record<string, unknown>): string {
  const url = renderText(source, data).trim();
  if (url.length > MAX_URL_LENGTH || !/^[a-z][a-z0-9+.-]*:/i.test(url)) return '';
  return url;
}

export type ImageInputs = { file: string } | { url: string };

/** What an image layer draws: the URL from the data (when `url` is set), else the packaged file. */
export function imageLayerInputs(layer: ImageLayer, data: Record<string, unknown>): ImageInputs {
  if (typeof layer.url === 'string') return { url: resolveImageUrl(layer.url, data) };
  if (typeof layer.file === 'string') return { file: layer.file };
  throw new Error(`image layer ${layer.id} has neither file nor url`);
}

export async function drawImageLayer(layer: ImageLayer, data: Record<string, unknown>, ctx: DrawContext): Promise<LayerDrawing> {
  const warnings: string[] = [];
  const { canvas, g, width, height } = layerCanvas(layer);
  const input = imageLayerInputs(layer, data);
  let img: Image | undefined;
  if ('file' in input) img = await loadPackagedImage(ctx.assets, input.file);
  else {
    if (input.url === '') warnings.push('image fell back: no_url');
    else {
      try {
        img = await loadRemoteImage(input.url, ctx.fetchPolicy);
      } catch (e) {
        warnings.push(`image fell back: ${failureReason(e)}`);
      }
    }
    if (!img && typeof layer.fallback === 'string') img = await loadPackagedImage(ctx.assets, layer.fallback);
  }
  if (img) drawFitted(g, img, { x: 0, y: 0, w: width, h: height }, layer.fit === 'cover' ? 'cover' : 'contain', Math.max(0, finite(layer.radius, 0)));
  return drawingOf(layer, canvas, warnings);
}
