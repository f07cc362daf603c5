// Measuring the watch page's browser composite against the stitched stream (issue 13 §1):
// what a page shows (screenshots at a frame), what the server made (the stitched frame,
// ffmpeg-decoded as a browser shows it), and the yardsticks (the mezzanine frame with the
// layer images laid over: in RGB as the page does, or through the render's own overlay
// chain without encoding). Shared by test/browser-fallback.test.ts and bench/fidelity.ts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createCanvas, ImageData, loadImage, type Canvas } from '@napi-rs/canvas';
import { expandMezzanine } from '../../src/video/mezzanine.ts';
import { runFfmpeg } from '../../src/video/ffmpeg.ts';
import { overlayChain } from '../../src/render/render-pass.ts';
import type { TemplatePlan } from '../../src/templates/plan.ts';
import { forceHlsJs } from './watch-page.ts';

/** One layer image placed on the frame (template pixels). */
export interface Placed {
  png: Buffer;
  x: number;
  y: number;
}

/** Opens the page with listeners installed before any script: media events and requested URLs. */
export async function openPage(browser: Browser, url: string, viewport: { width: number; height: number }, opts: { noNativeHls?: boolean } = {}) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  if (opts.noNativeHls) await forceHlsJs(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    const w = window as unknown as { media: Array<[string, number]> };
    w.media = [];
    for (const type of ['waiting', 'playing', 'stalled', 'seeking'])
      document.addEventListener(type, (e) => w.media.push([type, (e.target as HTMLVideoElement).currentTime]), true);
  });
  await page.goto(url, { waitUntil: 'load' });
  return { ctx, page, requests, errors };
}

/**
 * Pauses at `seconds` and waits until the video shows the frame there and the overlay canvas
 * has drawn; returns the frame the canvas says it drew (the pixel checks then prove it is the
 * frame on screen: a canvas on another frame than the video fails them).
 */
export async function showFrame(page: Page, seconds: number): Promise<number> {
  await page.evaluate((t) => {
    const v = document.querySelector('video')!;
    v.pause();
    v.currentTime = t;
  }, seconds);
  await page.waitForFunction(() => !document.querySelector('video')!.seeking && document.querySelector('video')!.readyState >= 2, null, { timeout: 20_000 });
  // Two painted frames: the seeked frame presented and the canvas drawn for it.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(r)))));
  return page.evaluate(() => Number(document.getElementById('overlays')!.getAttribute('data-frame') ?? -1));
}

/** The video's picture on the page (object-fit: contain), in CSS pixels. */
export async function pictureBox(page: Page) {
  return page.evaluate(() => {
    const v = document.querySelector('video')!;
    const r = v.getBoundingClientRect();
    const s = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
    return { x: r.x + (r.width - v.videoWidth * s) / 2, y: r.y + (r.height - v.videoHeight * s) / 2, w: v.videoWidth * s, h: v.videoHeight * s };
  });
}

/** Concatenates a playlist's segments (absolute or relative URIs) into one MPEG-TS file. */
export async function fetchStream(playlistUrl: string, file: string): Promise<string[]> {
  const text = await (await fetch(playlistUrl)).text();
  const uris = text.split('\n').filter((l) => l && !l.startsWith('#'));
  const parts: Buffer[] = [];
  for (const u of uris) {
    const res = await fetch(new URL(u, playlistUrl));
    assert.equal(res.status, 200, u);
    parts.push(Buffer.from(await res.arrayBuffer()));
  }
  writeFileSync(file, Buffer.concat(parts));
  return uris;
}

/**
 * YUV to RGB as Chromium shows this video (tagged BT.709, limited range; measured: the
 * page's screenshot matches it to ~1.5 levels outside overlays; ffmpeg's default BT.601 is ~8 off).
 */
export const AS_BROWSER = 'scale=in_color_matrix=bt709:in_range=tv:out_range=pc,format=rgba';

/** Frame `f` of a video file as an RGBA canvas of the template's size, as the browser shows it. */
export async function decodeFrame(input: string[], f: number, w: number, h: number): Promise<Canvas> {
  const { stdout } = await runFfmpeg(['-v', 'error', ...input, '-vf', `select=eq(n\\,${f}),${AS_BROWSER}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], { captureStdout: true, timeoutMs: 120_000 });
  assert.equal(stdout.length, w * h * 4, 'one decoded frame');
  return rgbaCanvas(stdout, w, h);
}

export function rgbaCanvas(rgba: Buffer, w: number, h: number): Canvas {
  const c = createCanvas(w, h);
  c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, w * h * 4), w, h), 0, 0);
  return c;
}

/** A frame-sized canvas scaled to the displayed picture size (bilinear, as the browser scales video). */
export function scaled(src: Canvas, w: number, h: number): Uint8ClampedArray {
  const c = createCanvas(w, h);
  const g = c.getContext('2d');
  g.imageSmoothingEnabled = true;
  g.drawImage(src, 0, 0, w, h);
  return g.getImageData(0, 0, w, h).data;
}

/** The screenshot's picture area as RGBA at w×h. */
export async function screenshotPicture(png: Buffer, box: { x: number; y: number }, w: number, h: number): Promise<Uint8ClampedArray> {
  const img = await loadImage(png);
  const c = createCanvas(w, h);
  c.getContext('2d').drawImage(img, -Math.round(box.x), -Math.round(box.y));
  return c.getContext('2d').getImageData(0, 0, w, h).data;
}

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Mean absolute difference (0-255, over RGB) and PSNR (dB) of two RGBA images in a region (inside or outside a rect). */
export function compare(a: Uint8ClampedArray, b: Uint8ClampedArray, w: number, rect: Rect, inside: boolean): { mad: number; psnr: number } {
  let sum = 0, sq = 0, n = 0;
  for (let i = 0; i < a.length; i += 4) {
    const px = (i / 4) % w, py = Math.floor(i / 4 / w);
    const within = px >= rect.x0 && px < rect.x1 && py >= rect.y0 && py < rect.y1;
    if (within !== inside) continue;
    for (let k = 0; k < 3; k++) {
      const d = a[i + k]! - b[i + k]!;
      sum += Math.abs(d);
      sq += d * d;
    }
    n += 3;
  }
  return { mad: sum / n, psnr: 10 * Math.log10((255 * 255) / Math.max(1e-9, sq / n)) };
}

/** The plan of the template version a base.m3u8 plays (its URIs are /s/<template>/<version>/…). */
export function planOf(storageDir: string, templateId: string, baseUris: string[]): TemplatePlan {
  const version = baseUris[0]!.split('/')[3]!;
  return JSON.parse(readFileSync(path.join(storageDir, 'templates', templateId, version, 'plan.json'), 'utf8'));
}

/** A stored mezzanine (lossless H.264) as raw yuv420p frames, expanded the way a worker expands it (kept in workDir). */
async function expandedMezzanine(storageDir: string, workDir: string, key: string): Promise<string> {
  const out = path.join(workDir, `${key.replace(/\W/g, '_')}.yuv`);
  if (!existsSync(out)) await expandMezzanine(path.join(storageDir, key), out);
  return out;
}

/** Frame `f` of the template from its mezzanine, raw yuv420p. */
async function mezzanineFrame(plan: TemplatePlan, f: number, storageDir: string, workDir: string): Promise<Buffer> {
  const seg = plan.segments.find((s) => f >= s.startFrame && f < s.startFrame + s.frames);
  assert.ok(seg?.mezzanine, `frame ${f} lies in a segment with a mezzanine`);
  const bytes = plan.width * plan.height * 1.5;
  const fh = await open(await expandedMezzanine(storageDir, workDir, seg.mezzanine), 'r');
  const raw = Buffer.alloc(bytes);
  await fh.read(raw, 0, bytes, (f - seg.startFrame) * bytes).finally(() => fh.close());
  return raw;
}

/** What the server composites before encoding: the mezzanine frame with the layer images, through the render's own overlay chain (render-pass.ts), not encoded. */
export async function rawComposite(plan: TemplatePlan, f: number, layers: Placed[], storageDir: string, workDir: string): Promise<Canvas> {
  const raw = await mezzanineFrame(plan, f, storageDir, workDir);
  const rate = `${plan.fps.num}/${plan.fps.den}`;
  const pngInputs = layers.flatMap((l, i) => {
    const file = path.join(workDir, `ov-${plan.templateId}-${i}.png`);
    writeFileSync(file, l.png);
    return ['-framerate', rate, '-i', file];
  });
  const chain = overlayChain('0:v', 'r', 1, { startFrame: f, frames: 1 }, layers.map((l, i) => ({ layerId: `l${i}`, png: l.png, x: l.x, y: l.y, startFrame: f, endFrame: f + 1 })), plan.fps, 'c');
  const { stdout } = await runFfmpeg(
    ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${plan.width}x${plan.height}`, '-framerate', rate, '-i', 'pipe:0', ...pngInputs,
      '-filter_complex', `${chain};[c]format=yuv420p,${AS_BROWSER}[v]`, '-map', '[v]', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'],
    { input: raw, captureStdout: true, timeoutMs: 60_000 },
  );
  return rgbaCanvas(stdout, plan.width, plan.height);
}

/**
 * The page's own arithmetic on the same lossless inputs: the mezzanine frame as the browser
 * shows it (BT.709, out-of-gamut colours clipped) with the layer images blended in RGB. Against
 * rawComposite this isolates what blending in RGB instead of 4:2:0 YUV costs, with no encoder involved.
 */
export async function rgbComposite(plan: TemplatePlan, f: number, layers: Placed[], storageDir: string, workDir: string): Promise<Canvas> {
  const raw = await mezzanineFrame(plan, f, storageDir, workDir);
  const { stdout } = await runFfmpeg(['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${plan.width}x${plan.height}`, '-i', 'pipe:0', '-vf', AS_BROWSER, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], { input: raw, captureStdout: true, timeoutMs: 60_000 });
  const c = rgbaCanvas(stdout, plan.width, plan.height);
  for (const l of layers) c.getContext('2d').drawImage(await loadImage(l.png), l.x, l.y);
  return c;
}
