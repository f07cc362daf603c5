// An animated preview for email clients that play GIFs: a short loop around the
// poster time with this person's overlays and a play button, 480 px wide. Built
// by one ffmpeg process from the mezzanine frames (static stretches decoded from
// their template segments) with the render's own overlay chain, so fades and
// slides move as in the video; palettegen/paletteuse keep it small.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import type { CachedFile, Storage } from '../storage/storage.ts';
import { rawMezzanine } from '../video/mezzanine.ts';
import type { SegmentInfo, TemplatePlan } from '../templates/plan.ts';
import { runFfmpeg } from '../video/ffmpeg.ts';
import { VIDEO_AS_SHOWN } from '../video/colour.ts';
import type { DrawContext } from '../overlays/index.ts';
import { ensureFonts } from '../overlays/index.ts';
import { overlayChain, rawInputArgs } from './render-pass.ts';
import { overlaysFor, registerPackageFonts } from './personalize.ts';
import { drawPlayButton, playRadius, posterFrame } from './poster.ts';

export const GIF_WIDTH = 480;
export const GIF_FPS = 10;
export const GIF_SECONDS = 2.5;
/** Email clients and inboxes choke on heavy GIFs; tries fewer colours until under this. */
export const GIF_MAX_BYTES = 1_000_000;

/** The GIF's stretch of template frames (end exclusive): GIF_SECONDS centred on the poster frame, kept inside the video. */
export function gifWindow(plan: TemplatePlan): { startFrame: number; endFrame: number } {
  const len = Math.min(plan.frameCount, Math.round((GIF_SECONDS * plan.fps.num) / plan.fps.den));
  const start = Math.max(0, Math.min(plan.frameCount - len, posterFrame(plan) - Math.floor(len / 2)));
  return { startFrame: start, endFrame: start + len };
}

/** Template segments the window touches. */
export function gifSegments(plan: TemplatePlan): SegmentInfo[] {
  const { startFrame, endFrame } = gifWindow(plan);
  return plan.segments.filter((s) => s.startFrame < endFrame && s.startFrame + s.frames > startFrame);
}

/** Frames in the GIF: the window's duration at GIF_FPS. */
export function gifFrameCount(plan: TemplatePlan): number {
  const { startFrame, endFrame } = gifWindow(plan);
  return Math.round(((endFrame - startFrame) * plan.fps.den * GIF_FPS) / plan.fps.num);
}

export async function drawPreviewGif(plan: TemplatePlan, data: Record<string, unknown>, storage: Storage, ctx: DrawContext): Promise<Buffer> {
  ensureFonts();
  await registerPackageFonts(plan, storage);
  const { startFrame, endFrame } = gifWindow(plan);
  const segs = gifSegments(plan);
  const height = Math.round((GIF_WIDTH * plan.height) / plan.width / 2) * 2;
  const work = await mkdtemp(path.join(os.tmpdir(), 'kasane-gif-'));
  const pinned: CachedFile[] = [];
  try {
    const inputs: string[] = [];
    const chains: string[] = [];
    for (const [k, seg] of segs.entries()) {
      const src = seg.mezzanine ? await rawMezzanine(storage, seg.mezzanine, { ...plan, frames: seg.frames }) : await storage.cached(seg.key);
      if (!src) throw new Error(`segment ${seg.key} is missing`);
      pinned.push(src);
      inputs.push(...(seg.mezzanine ? rawInputArgs(plan, src.path) : ['-i', src.path]));
    }
    let next = segs.length;
    for (const [k, seg] of segs.entries()) {
      const overlays = seg.mezzanine ? await overlaysFor(plan, seg, data, ctx) : [];
      for (const [i, o] of overlays.entries()) {
        const file = path.join(work, `s${k}-o${i}.png`);
        await writeFile(file, o.png);
        inputs.push('-framerate', `${plan.fps.num}/${plan.fps.den}`, '-i', file);
      }
      chains.push(`[${k}:v]format=yuv420p,setsar=1,setpts=PTS-STARTPTS[m${k}]`, overlayChain(`m${k}`, String(k), next, seg, overlays, plan.fps, `s${k}`));
      next += overlays.length;
    }
    const button = createCanvas(GIF_WIDTH, height);
    drawPlayButton(button.getContext('2d'), GIF_WIDTH / 2, height / 2, playRadius(GIF_WIDTH, height));
    await writeFile(path.join(work, 'play.png'), button.toBuffer('image/png'));
    inputs.push('-i', path.join(work, 'play.png'));
    const skip = startFrame - segs[0]!.startFrame;
    const joined = segs.length === 1 ? '[s0]' : `${segs.map((_, k) => `[s${k}]`).join('')}concat=n=${segs.length}:v=1:a=0,`;
    const base = `${chains.join(';')};${joined}trim=start_frame=${skip}:end_frame=${skip + endFrame - startFrame},setpts=PTS-STARTPTS,fps=${GIF_FPS},scale=${GIF_WIDTH}:${height}:flags=lanczos:${VIDEO_AS_SHOWN},format=rgb24[g];[g][${next}:v]overlay=0:0:format=auto,split[a][b]`;
    // Fewer colours until it fits: a busy portrait background is what makes a GIF heavy.
    let gif: Buffer = Buffer.alloc(0);
    for (const colors of [128, 64, 32]) {
      const graph = `${base};[a]palettegen=max_colors=${colors}:stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=4:diff_mode=rectangle[v]`;
      // -frames:v: this ffmpeg's fps filter repeats the last frame a few times at the end.
      gif = (await runFfmpeg(['-v', 'error', ...inputs, '-filter_complex', graph, '-map', '[v]', '-frames:v', String(gifFrameCount(plan)), '-loop', '0', '-f', 'gif', 'pipe:1'], { captureStdout: true, timeoutMs: 60_000 })).stdout;
      if (gif.length <= GIF_MAX_BYTES) break;
    }
    return gif;
  } finally {
    for (const p of pinned) p.release();
    await rm(work, { recursive: true, force: true });
  }
}
