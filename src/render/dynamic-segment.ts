// Renders one personalized segment: composite the overlay images onto the
// segment's mezzanine frames, encode with the template's exact settings, and
// splice the new video into the template segment (audio and PSI untouched).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TemplatePlan, SegmentInfo } from '../templates/plan.ts';
import type { Storage } from '../storage/storage.ts';
import { runFfmpeg } from './ffmpeg.ts';
import { forceKeyframesExpr, fpsValue, videoEncoderArgs } from './encoder.ts';
import { spliceSegment } from './ts/splice.ts';
import type { Animation } from '../overlays/types.ts';

export interface PlacedOverlay {
  layerId: string;
  png: Buffer;
  x: number;
  y: number;
  /** Template frame numbers, end exclusive. */
  startFrame: number;
  endFrame: number;
  fadeIn?: number;
  fadeOut?: number;
  slide?: Animation['slide'];
}

/**
 * Overlay position as ffmpeg expressions of t (seconds since the segment start):
 * slides move the still image in from / out to an edge, in ffmpeg, per frame.
 */
export function slidePosition(o: PlacedOverlay, seg: SegmentInfo, fps: number): { x: string; y: string } {
  const t0 = (o.startFrame - seg.startFrame) / fps; // may be negative: started in an earlier segment
  const t1 = (o.endFrame - seg.startFrame) / fps;
  let x = String(o.x);
  let y = String(o.y);
  const sIn = o.slide?.in;
  if (sIn && sIn.duration > 0) {
    const d = sIn.distance ?? 80;
    const off = `${d}*max(0,1-(t-(${t0.toFixed(4)}))/${sIn.duration})`;
    if (sIn.from === 'left') x += `-${off}`;
    if (sIn.from === 'right') x += `+${off}`;
    if (sIn.from === 'top') y += `-${off}`;
    if (sIn.from === 'bottom') y += `+${off}`;
  }
  const sOut = o.slide?.out;
  if (sOut && sOut.duration > 0) {
    const d = sOut.distance ?? 80;
    const off = `${d}*max(0,(t-(${(t1 - sOut.duration).toFixed(4)}))/${sOut.duration})`;
    if (sOut.to === 'left') x += `-${off}`;
    if (sOut.to === 'right') x += `+${off}`;
    if (sOut.to === 'top') y += `-${off}`;
    if (sOut.to === 'bottom') y += `+${off}`;
  }
  return { x, y };
}

export async function renderDynamicSegment(
  plan: TemplatePlan,
  seg: SegmentInfo,
  overlays: PlacedOverlay[],
  storage: Storage,
  opts: { signal?: AbortSignal } = {},
): Promise<Buffer> {
  if (!seg.mezzanine) throw new Error(`segment ${seg.index} is static`);
  const fps = plan.fps;
  const rate = `${fps.num}/${fps.den}`;
  const work = await mkdtemp(path.join(os.tmpdir(), 'kasane-seg-'));
  try {
    const args = ['-y', '-i', await storage.localPath(seg.mezzanine)];
    let graph = '[0:v]setpts=PTS-STARTPTS[b0]';
    let last = 'b0';
    for (let i = 0; i < overlays.length; i++) {
      const o = overlays[i]!;
      const file = path.join(work, `o${i}.png`);
      await writeFile(file, o.png);
      args.push('-loop', '1', '-framerate', rate, '-t', String(seg.duration), '-i', file);
      const from = Math.max(0, o.startFrame - seg.startFrame);
      const to = Math.min(seg.frames, o.endFrame - seg.startFrame);
      const fades: string[] = ['format=rgba'];
      // Fades run in ffmpeg on the still image's alpha, not by redrawing frames.
      if (o.fadeIn && o.startFrame >= seg.startFrame) fades.push(`fade=t=in:st=${from / fpsValue(fps)}:d=${o.fadeIn}:alpha=1`);
      if (o.fadeOut && o.endFrame <= seg.startFrame + seg.frames) fades.push(`fade=t=out:st=${Math.max(0, to / fpsValue(fps) - o.fadeOut)}:d=${o.fadeOut}:alpha=1`);
      graph += `;[${i + 1}:v]${fades.join(',')}[o${i}]`;
      const pos = slidePosition(o, seg, fpsValue(fps));
      graph += `;[${last}][o${i}]overlay=x='${pos.x}':y='${pos.y}':eof_action=pass:enable='between(n,${from},${to - 1})'[b${i + 1}]`;
      last = `b${i + 1}`;
    }
    graph += `;[${last}]format=yuv420p[v]`;
    args.push(
      '-filter_complex', graph,
      '-map', '[v]', '-an',
      ...videoEncoderArgs(plan.encoder, fps),
      '-force_key_frames', forceKeyframesExpr([0]),
      '-frames:v', String(seg.frames),
      '-f', 'mpegts', 'pipe:1',
    );
    const { stdout } = await runFfmpeg(args, { captureStdout: true, signal: opts.signal, timeoutMs: 5 * 60_000 });
    const template = await storage.get(seg.key);
    if (!template) throw new Error(`template segment ${seg.key} is missing from storage`);
    return spliceSegment(template, stdout);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
