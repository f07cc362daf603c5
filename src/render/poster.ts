// A person's still images: the poster (a frame at the template's poster time
// with their overlays, optionally with a play button for emails) and the link
// card (og.jpg, 1200×630). Drawn like the preview: the lossless mezzanine frame
// plus the overlay PNGs composited on a canvas, never a video encode. Runs in
// the preview process (preview-process.ts), off the API's event loop.
import { open } from 'node:fs/promises';
import { createCanvas, ImageData, loadImage, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { Storage } from '../storage/storage.ts';
import { rawMezzanine } from '../video/mezzanine.ts';
import type { SegmentInfo, TemplatePlan } from '../templates/plan.ts';
import { layerFrames } from '../templates/plan.ts';
import { runFfmpeg } from '../video/ffmpeg.ts';
import { VIDEO_TO_RGB } from '../video/colour.ts';
import { fpsValue } from '../video/encoder.ts';
import type { DrawContext } from '../overlays/index.ts';
import { ensureFonts } from '../overlays/index.ts';
import { mezzanineFrameBytes, rawInputArgs, type PlacedOverlay } from './render-pass.ts';
import { overlaysFor, registerPackageFonts } from './personalize.ts';

/** Bump when drawing of posters, cards or GIFs changes, so images drawn the old way are not served. */
export const IMAGE_VERSION = 2; // 2: base frames to RGB with BT.709, as browsers show the stream (video/colour.ts)
export const OG_SIZE = { width: 1200, height: 630 } as const;
const JPEG_QUALITY = 88;

export type StillVariant = 'poster' | 'play' | 'og';

/**
 * The poster's frame. `watch.poster_time` (seconds, optional in template.json) when set, else
 * the middle of the first personalized layer's window. Static segments keep no mezzanine, so a
 * configured time there is moved to the nearest frame of a personalized segment: the poster
 * always shows the person's overlays and never needs a video decode.
 */
export function posterFrame(plan: TemplatePlan): number {
  const configured = (plan.manifest as { watch?: { poster_time?: number } }).watch?.poster_time;
  const dynamic = plan.segments.filter((s) => s.kind === 'dynamic');
  const last = plan.frameCount - 1;
  if (typeof configured !== 'number' || !Number.isFinite(configured)) {
    const first = [...plan.manifest.layers].sort((a, b) => a.start - b.start)[0];
    if (!first) return Math.floor(last / 2);
    const { startFrame, endFrame } = layerFrames(first, plan.fps, plan.frameCount);
    return Math.min(last, Math.floor((startFrame + Math.max(startFrame, endFrame - 1)) / 2));
  }
  const wanted = Math.max(0, Math.min(last, Math.round((configured * plan.fps.num) / plan.fps.den)));
  let best = wanted;
  let dist = Infinity;
  for (const s of dynamic) {
    const f = Math.max(s.startFrame, Math.min(s.startFrame + s.frames - 1, wanted));
    if (Math.abs(f - wanted) < dist) [best, dist] = [f, Math.abs(f - wanted)];
  }
  return best;
}

export function segmentAt(plan: TemplatePlan, frame: number): SegmentInfo {
  return plan.segments.find((s) => frame >= s.startFrame && frame < s.startFrame + s.frames)!;
}

/**
 * Base frames decoded lately, by template version and frame: every person's poster of a
 * version shows the same one, and an ffmpeg run per poster was half of each poster's time
 * (and more under load, when 8 people open their links at once: bench/README "Issue 13").
 * A few only (a 1080×1920 frame is 8 MB).
 */
const recentFrames = new Map<string, Promise<Buffer>>();
const RECENT_FRAMES = 4;

function baseRgba(plan: TemplatePlan, storage: Storage, seg: SegmentInfo, frame: number): Promise<Buffer> {
  const key = `${plan.templateId}/${plan.version}#${frame}`;
  let hit = recentFrames.get(key);
  if (hit) recentFrames.delete(key);
  else {
    hit = decodeBaseRgba(plan, storage, seg, frame);
    hit.catch(() => recentFrames.delete(key));
  }
  recentFrames.set(key, hit);
  if (recentFrames.size > RECENT_FRAMES) recentFrames.delete(recentFrames.keys().next().value!);
  return hit;
}

/** One decoded base frame as RGBA: from the mezzanine (raw yuv420p, read at its offset) or, without one, the template segment. */
async function decodeBaseRgba(plan: TemplatePlan, storage: Storage, seg: SegmentInfo, frame: number): Promise<Buffer> {
  const out = ['-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'];
  const toRgb = ['-vf', VIDEO_TO_RGB];
  if (seg.mezzanine) {
    const bytes = mezzanineFrameBytes(plan);
    const mezz = await rawMezzanine(storage, seg.mezzanine, { ...plan, frames: seg.frames });
    const raw = Buffer.alloc(bytes);
    try {
      const fh = await open(mezz.path, 'r');
      try {
        await fh.read(raw, 0, bytes, (frame - seg.startFrame) * bytes);
      } finally {
        await fh.close();
      }
    } finally {
      mezz.release();
    }
    return (await runFfmpeg(['-v', 'error', ...rawInputArgs(plan, 'pipe:0'), ...toRgb, ...out], { input: raw, captureStdout: true, timeoutMs: 30_000 })).stdout;
  }
  const src = await storage.cached(seg.key);
  if (!src) throw new Error(`segment ${seg.key} is missing`);
  try {
    return (await runFfmpeg(['-v', 'error', '-i', src.path, '-vf', `select=eq(n\\,${frame - seg.startFrame}),${VIDEO_TO_RGB}`, ...out], { captureStdout: true, timeoutMs: 30_000 })).stdout;
  } finally {
    src.release();
  }
}

/**
 * An overlay's opacity and position at one frame, as the render's ffmpeg chain
 * (render-pass.ts overlayChain: fade on alpha, slide offsets) draws it there.
 */
export function overlayAt(o: PlacedOverlay, frame: number, rate: number): { alpha: number; x: number; y: number } | null {
  if (frame < o.startFrame || frame >= o.endFrame) return null;
  const since = (frame - o.startFrame) / rate;
  const until = (o.endFrame - frame) / rate;
  let alpha = 1;
  if (o.fadeIn) alpha = Math.min(alpha, since / o.fadeIn);
  if (o.fadeOut) alpha = Math.min(alpha, until / o.fadeOut);
  let { x, y } = o;
  const move = (edge: string | undefined, off: number) => {
    if (edge === 'left') x -= off;
    if (edge === 'right') x += off;
    if (edge === 'top') y -= off;
    if (edge === 'bottom') y += off;
  };
  const sIn = o.slide?.in;
  if (sIn && sIn.duration > 0) move(sIn.from, (sIn.distance ?? 80) * Math.max(0, 1 - since / sIn.duration));
  const sOut = o.slide?.out;
  if (sOut && sOut.duration > 0) move(sOut.to, (sOut.distance ?? 80) * Math.max(0, 1 - until / sOut.duration));
  return { alpha: Math.max(0, Math.min(1, alpha)), x: Math.round(x), y: Math.round(y) };
}

/** The frame at `frame` with this person's overlays, full template size. */
export async function drawFrame(plan: TemplatePlan, data: Record<string, unknown>, storage: Storage, ctx: DrawContext, frame: number): Promise<Canvas> {
  ensureFonts();
  await registerPackageFonts(plan, storage);
  const seg = segmentAt(plan, frame);
  const [rgba, overlays] = await Promise.all([baseRgba(plan, storage, seg, frame), seg.kind === 'dynamic' ? overlaysFor(plan, seg, data, ctx) : Promise.resolve([])]);
  const c = createCanvas(plan.width, plan.height);
  const g = c.getContext('2d');
  g.putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, plan.width * plan.height * 4), plan.width, plan.height), 0, 0);
  const rate = fpsValue(plan.fps);
  for (const o of overlays) {
    const at = overlayAt(o, frame, rate);
    if (!at || at.alpha <= 0) continue;
    g.globalAlpha = at.alpha;
    g.drawImage(await loadImage(o.png), at.x, at.y);
  }
  g.globalAlpha = 1;
  return c;
}

/**
 * A play button centred at (cx, cy): a dark translucent disc with a white ring and a
 * white triangle, readable over light and dark frames alike.
 */
export function drawPlayButton(g: SKRSContext2D, cx: number, cy: number, r: number): void {
  g.save();
  g.shadowColor = 'rgba(0,0,0,0.45)';
  g.shadowBlur = r * 0.25;
  g.beginPath();
  g.arc(cx, cy, r, 0, Math.PI * 2);
  g.fillStyle = 'rgba(0,0,0,0.55)';
  g.fill();
  g.shadowBlur = 0;
  g.lineWidth = Math.max(2, r * 0.08);
  g.strokeStyle = '#ffffff';
  g.stroke();
  // The triangle's centroid sits on the circle's centre, so it looks centred.
  const s = r * 0.5;
  g.beginPath();
  g.moveTo(cx - s * 0.6, cy - s);
  g.lineTo(cx + s * 1.1, cy);
  g.lineTo(cx - s * 0.6, cy + s);
  g.closePath();
  g.fillStyle = '#ffffff';
  g.fill();
  g.restore();
}

/** Button radius for an image of this size: visible in an email, small enough to leave the name readable. */
export const playRadius = (w: number, h: number) => Math.round(Math.min(w, h) * 0.12);

/** A 1200×630 link card: the frame fitted in whole, padded with a blurred, darkened copy of itself (never stretched). */
function ogCard(frame: Canvas): Canvas {
  const { width: W, height: H } = OG_SIZE;
  const c = createCanvas(W, H);
  const g = c.getContext('2d');
  // Background: the frame scaled to cover, blurred by shrinking to a few pixels and scaling back up.
  const cover = Math.max(W / frame.width, H / frame.height);
  const tiny = createCanvas(48, Math.max(1, Math.round((48 * H) / W)));
  const tg = tiny.getContext('2d');
  tg.imageSmoothingQuality = 'high';
  tg.drawImage(frame, (tiny.width - frame.width * cover * (tiny.width / W)) / 2, (tiny.height - frame.height * cover * (tiny.height / H)) / 2, frame.width * cover * (tiny.width / W), frame.height * cover * (tiny.height / H));
  g.imageSmoothingEnabled = true;
  g.imageSmoothingQuality = 'high';
  g.drawImage(tiny, 0, 0, W, H);
  g.fillStyle = 'rgba(0,0,0,0.35)';
  g.fillRect(0, 0, W, H);
  const fit = Math.min(W / frame.width, H / frame.height);
  const w = Math.round(frame.width * fit);
  const h = Math.round(frame.height * fit);
  g.drawImage(frame, Math.round((W - w) / 2), Math.round((H - h) / 2), w, h);
  return c;
}

/** The JPEG of one still variant for this person. */
export async function drawStill(plan: TemplatePlan, data: Record<string, unknown>, storage: Storage, ctx: DrawContext, variant: StillVariant): Promise<Buffer> {
  const frame = await drawFrame(plan, data, storage, ctx, posterFrame(plan));
  if (variant === 'og') return ogCard(frame).encode('jpeg', JPEG_QUALITY);
  if (variant === 'play') drawPlayButton(frame.getContext('2d'), frame.width / 2, frame.height / 2, playRadius(frame.width, frame.height));
  return frame.encode('jpeg', JPEG_QUALITY);
}
