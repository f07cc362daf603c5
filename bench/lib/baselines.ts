// The alternatives Kasane is measured against, with the same ffmpeg build and
// the same encoder arguments as the template:
//   full re-render: the whole video decoded, overlaid and encoded in one pass
//                   (video and audio), as a naive service would per person;
//   floor:          one pass that only encodes exactly the overlaid frames,
//                   already composited and decoded (raw), and does nothing else.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TemplatePlan } from '../../src/templates/plan.ts';
import { overlayChain, rawInputArgs, type PlacedOverlay } from '../../src/render/render-pass.ts';
import { runFfmpeg } from '../../src/video/ffmpeg.ts';
import { audioEncoderArgs, forceKeyframesExpr, personalVideoEncoderArgs, videoEncoderArgs } from '../../src/video/encoder.ts';

/**
 * The base video with every overlay composited on the whole timeline, as a filter
 * graph ending in [v]: Kasane's own overlay chain, applied to all frames at once.
 */
export function fullOverlayGraph(plan: TemplatePlan, overlays: PlacedOverlay[], work: string, baseInput: number, firstOverlayInput: number): { inputs: string[]; graph: string } {
  const inputs: string[] = [];
  overlays.forEach((o, k) => {
    const f = path.join(work, `full-o${k}.png`);
    writeFileSync(f, o.png);
    inputs.push('-i', f);
  });
  const base = `[${baseInput}:v]fps=${plan.fps.num}/${plan.fps.den},scale=${plan.width}:${plan.height}:force_original_aspect_ratio=decrease,pad=${plan.width}:${plan.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p,trim=end_frame=${plan.frameCount}[base]`;
  const chain = overlayChain('base', 'full', firstOverlayInput, { startFrame: 0, frames: plan.frameCount }, overlays, plan.fps, 'composited');
  return { inputs, graph: `${base};${chain};[composited]format=yuv420p[v]` };
}

/** One single-pass re-render of the whole personalized video (video + audio) to a TS file. */
export async function fullRerender(plan: TemplatePlan, baseVideo: string, overlays: PlacedOverlay[], work: string, out: string): Promise<void> {
  const { inputs, graph } = fullOverlayGraph(plan, overlays, work, 0, 1);
  await runFfmpeg(
    ['-y', '-i', baseVideo, ...inputs, '-filter_complex', graph, '-map', '[v]', '-map', '0:a:0',
      ...videoEncoderArgs(plan.encoder, plan.fps), '-force_key_frames', forceKeyframesExpr(plan.segments.map((s) => s.startFrame)),
      ...audioEncoderArgs(plan.encoder), '-frames:v', String(plan.frameCount), '-f', 'mpegts', out],
    { timeoutMs: 30 * 60_000 },
  );
}

/** Decodes a person's rendered dynamic segments (in playback order) to raw frames: the floor's input. */
export async function decodeToRaw(tsFiles: string[], out: string): Promise<void> {
  await runFfmpeg(['-y', '-i', `concat:${tsFiles.join('|')}`, '-map', '0:v:0', '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', out], { timeoutMs: 300_000 });
}

/** The floor: encode exactly these raw frames, keyframe at each segment start, with the render's own (personal) settings. */
export async function floorEncode(plan: TemplatePlan, raw: string, segmentFrames: number[], out: string): Promise<void> {
  const starts: number[] = [];
  let total = 0;
  for (const f of segmentFrames) {
    starts.push(total);
    total += f;
  }
  await runFfmpeg(
    ['-y', ...rawInputArgs(plan, raw),
      '-an', ...personalVideoEncoderArgs(plan.encoder, plan.fps), '-force_key_frames', forceKeyframesExpr(starts), '-frames:v', String(total), '-f', 'mpegts', out],
    { timeoutMs: 600_000 },
  );
}

/**
 * Per-frame SSIM (ffmpeg's ssim filter, Y'CbCr "All") of a played-out stream against the
 * source: the base video with the same overlays composited losslessly.
 */
export async function ssimPerFrame(plan: TemplatePlan, stream: string, baseVideo: string, overlays: PlacedOverlay[], work: string): Promise<number[]> {
  const { inputs, graph } = fullOverlayGraph(plan, overlays, work, 1, 2);
  const stats = path.join(work, 'ssim.log');
  await runFfmpeg(
    ['-i', stream, '-i', baseVideo, ...inputs, '-filter_complex', `${graph};[0:v]setpts=PTS-STARTPTS[d];[d][v]ssim=stats_file=${stats}`, '-f', 'null', '-'],
    { timeoutMs: 600_000 },
  );
  const { readFileSync } = await import('node:fs');
  return readFileSync(stats, 'utf8')
    .trim()
    .split('\n')
    .map((l) => Number(/All:([\d.]+)/.exec(l)?.[1]));
}
