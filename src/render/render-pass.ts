// Renders a person's segments: composite the overlay images onto each segment's
// raw mezzanine frames, encode with the template's exact settings, and splice
// the new video into the template segment (audio and PSI untouched).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TemplatePlan, SegmentInfo } from '../templates/plan.ts';
import type { CachedFile, Storage } from '../storage/storage.ts';
import { expandLater, mezzanineInput, rawFrameBytes, type MezzanineInput } from '../video/mezzanine.ts';
import { runFfmpeg } from '../video/ffmpeg.ts';
import { OVERLAY_TO_VIDEO } from '../video/colour.ts';
import { mezzanineColdReadsTotal } from '../metrics/index.ts';
import { forceKeyframesExpr, fpsValue, personalVideoEncoderArgs, rawInputArgs } from '../video/encoder.ts';
import { spliceSegment } from '../video/ts/splice.ts';
import { StreamCutter } from '../video/ts/stream-cutter.ts';
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
export function slidePosition(o: PlacedOverlay, seg: Pick<SegmentInfo, 'startFrame'>, fps: number): { x: string; y: string } {
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

export interface PassSegment {
  seg: SegmentInfo;
  overlays: PlacedOverlay[];
}

/** Bytes of one raw yuv420p mezzanine frame. */
export const mezzanineFrameBytes = (plan: Pick<TemplatePlan, 'width' | 'height'>): number => rawFrameBytes(plan);

// Raw mezzanine input arguments are built next to the encoder's (the prepare self-check uses them too).
export { rawInputArgs };

/**
 * Overlays for one stretch of frames (a segment, or a whole video) as a filter chain
 * from [source] to [out]: each still image is converted to the video's YUV once
 * (OVERLAY_TO_VIDEO) and repeated by the loop filter (not re-read per frame), faded on its
 * alpha, and composited only on the frames its layer covers. The base pictures were brought
 * inside the RGB gamut at preparation (CLIP_TO_GAMUT), so this YUV blend is the watch page's
 * RGB blend. `tag` keeps labels unique when chains share a graph.
 */
export function overlayChain(
  source: string,
  tag: string,
  firstOverlayInput: number,
  seg: Pick<SegmentInfo, 'startFrame' | 'frames'>,
  overlays: PlacedOverlay[],
  fps: TemplatePlan['fps'],
  out: string,
): string {
  const rate = fpsValue(fps);
  const parts: string[] = [];
  let last = source;
  overlays.forEach((o, i) => {
    const from = Math.max(0, o.startFrame - seg.startFrame);
    const to = Math.min(seg.frames, o.endFrame - seg.startFrame);
    // The still's timestamps must sit exactly on the mezzanine's frame grid: in the image
    // reader's default 1/25 s timebase, N/rate is truncated, the last overlay frame lands
    // before the last video frame and the overlay (eof_action=pass) drops off 1–2 frames
    // early at 29.97/30/60 fps. A timebase of one frame makes every timestamp an integer N.
    const chain = [OVERLAY_TO_VIDEO, `settb=expr=${fps.den}/${fps.num}`, `loop=loop=${seg.frames - 1}:size=1:start=0`, 'setpts=N'];
    if (o.fadeIn && o.startFrame >= seg.startFrame) chain.push(`fade=t=in:st=${from / rate}:d=${o.fadeIn}:alpha=1`);
    if (o.fadeOut && o.endFrame <= seg.startFrame + seg.frames) chain.push(`fade=t=out:st=${Math.max(0, to / rate - o.fadeOut)}:d=${o.fadeOut}:alpha=1`);
    parts.push(`[${firstOverlayInput + i}:v]${chain.join(',')}[o${tag}_${i}]`);
    const pos = slidePosition(o, seg, rate);
    const next = i === overlays.length - 1 ? out : `b${tag}_${i}`;
    parts.push(`[${last}][o${tag}_${i}]overlay=x='${pos.x}':y='${pos.y}':eof_action=pass:enable='between(n,${from},${to - 1})'[${next}]`);
    last = next;
  });
  if (!overlays.length) parts.push(`[${last}]null[${out}]`);
  return parts.join(';');
}

/**
 * Renders personalized segments in one ffmpeg process: each segment's raw
 * mezzanine frames with its overlays, concatenated in the given order and
 * encoded once with the template's settings (plus the cheaper, header-neutral
 * analysis of personalVideoEncoderArgs), keyframe on each segment start. The
 * output is cut while it streams, so each segment is spliced into its template
 * segment and handed to `onSegment` as soon as it is encoded.
 */
export async function renderPass(
  plan: TemplatePlan,
  pass: PassSegment[],
  storage: Storage,
  onSegment: (seg: SegmentInfo, bytes: Buffer) => Promise<void>,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  if (!pass.length) return;
  const work = await mkdtemp(path.join(os.tmpdir(), 'kasane-pass-'));
  // The template segments each personal one is spliced into, fetched while ffmpeg encodes
  // (on S3 a GET each): the last segment's splice then waits on no round trip.
  const templates = pass.map(({ seg }) => storage.get(seg.key));
  for (const t of templates) t.catch(() => {}); // surfaced where awaited
  // Pinned in this machine's cache until ffmpeg is done with them.
  const mezzanines: CachedFile[] = [];
  const cold: SegmentInfo[] = [];
  try {
    const args = ['-y', ...(await mezzanineInputArgs(plan, pass, storage, mezzanines, cold))];
    const { inputArgs, graph } = await overlayGraph(pass, plan, work);
    const { starts, total } = segmentStarts(pass);
    args.push(
      ...inputArgs,
      '-filter_complex', graph,
      '-map', '[v]', '-an',
      ...personalVideoEncoderArgs(plan.encoder, plan.fps),
      '-force_key_frames', forceKeyframesExpr(starts),
      '-frames:v', String(total),
      '-f', 'mpegts', 'pipe:1',
    );
    await encodeAndSplice(args, pass, templates, onSegment, opts.signal);
  } finally {
    for (const m of mezzanines) m.release();
    await rm(work, { recursive: true, force: true });
    // After the encode, not before: the next render on this machine reads raw frames.
    mezzanineColdReadsTotal.inc(cold.length);
    for (const seg of cold) expandLater(storage, seg.mezzanine!, { ...plan, frames: seg.frames });
  }
}

/**
 * Inputs 0..n-1: each segment's mezzanine (raw frames when this machine has them, else the
 * stored lossless copy, decoded as ffmpeg goes; video/mezzanine.ts), all looked up at once
 * and pinned in `pinned`; the segments whose mezzanine was not expanded here yet go to `cold`.
 */
async function mezzanineInputArgs(plan: TemplatePlan, pass: PassSegment[], storage: Storage, pinned: CachedFile[], cold: SegmentInfo[]): Promise<string[]> {
  const inputs = await Promise.allSettled(pass.map(({ seg }) => {
    if (!seg.mezzanine) return Promise.reject(new Error(`segment ${seg.index} is static`));
    return mezzanineInput(storage, seg.mezzanine, { ...plan, frames: seg.frames });
  }));
  for (const r of inputs) if (r.status === 'fulfilled') pinned.push(r.value.file);
  const failed = inputs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return inputs.flatMap((r, k) => {
    const input = (r as PromiseFulfilledResult<MezzanineInput>).value;
    if (!input.raw) cold.push(pass[k]!.seg);
    return input.args;
  });
}

/**
 * The overlay PNGs written to `work` as the next inputs, and the filter graph: each
 * segment's overlay chain, concatenated in pass order into [v].
 */
async function overlayGraph(pass: PassSegment[], plan: TemplatePlan, work: string): Promise<{ inputArgs: string[]; graph: string }> {
  const inputArgs: string[] = [];
  let nextInput = pass.length;
  const chains: string[] = [];
  for (let k = 0; k < pass.length; k++) {
    const p = pass[k]!;
    for (let i = 0; i < p.overlays.length; i++) {
      const file = path.join(work, `s${k}-o${i}.png`);
      await writeFile(file, p.overlays[i]!.png);
      // Read at the template's rate (not image2's default 25 fps), so the still's timebase is one frame.
      inputArgs.push('-framerate', `${plan.fps.num}/${plan.fps.den}`, '-i', file);
    }
    // Raw frames carry no aspect ratio; the template encode says 1:1 and the SPS must match.
    // One frame per tick of the template's rate, as raw frames read with -framerate have: a
    // stored mezzanine decoded here carries Matroska's millisecond timestamps, and the fades'
    // and slides' expressions of t must see the same times either way.
    chains.push(`[${k}:v]settb=expr=${plan.fps.den}/${plan.fps.num},setpts=N,setsar=1[m${k}]`, overlayChain(`m${k}`, String(k), nextInput, p.seg, p.overlays, plan.fps, `s${k}`));
    nextInput += p.overlays.length;
  }
  const joined = pass.length === 1 ? '[s0]' : `${pass.map((_, k) => `[s${k}]`).join('')}concat=n=${pass.length}:v=1:a=0,`;
  return { inputArgs, graph: `${chains.join(';')};${joined}format=yuv420p[v]` };
}

/** Each segment's first frame in the joined output (its keyframe), and the frame total. */
function segmentStarts(pass: PassSegment[]): { starts: number[]; total: number } {
  const starts: number[] = [];
  let total = 0;
  for (const { seg } of pass) {
    starts.push(total);
    total += seg.frames;
  }
  return { starts, total };
}

/** Runs the encode, cutting its output as it streams and splicing each segment into its template segment, in order. */
async function encodeAndSplice(
  args: string[],
  pass: PassSegment[],
  templates: Array<Promise<Buffer | null>>,
  onSegment: (seg: SegmentInfo, bytes: Buffer) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const cutter = new StreamCutter(pass.map((p) => p.seg.frames));
  let emitted = 0;
  let chain: Promise<void> = Promise.resolve();
  const emit = (encoded: Buffer) => {
    const k = emitted++;
    const seg = pass[k]!.seg;
    chain = chain.then(async () => {
      const template = await templates[k]!;
      if (!template) throw new Error(`template segment ${seg.key} is missing from storage`);
      await onSegment(seg, spliceSegment(template, encoded));
    });
    // Surfaced by the final await; keep an early failure from being reported as unhandled.
    chain.catch(() => {});
  };
  await runFfmpeg(args, {
    signal,
    timeoutMs: 10 * 60_000,
    onStdout: (b) => cutter.push(b).forEach(emit),
  });
  emit(cutter.end());
  await chain;
}
