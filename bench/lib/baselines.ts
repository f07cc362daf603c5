// The alternatives Kasane is measured against, with the same ffmpeg build and
// the same encoder arguments as the template:
//   full re-render: the whole video decoded, overlaid and encoded in one pass
//                   (video and audio), as a naive service would per person;
//   floor:          one pass that only encodes exactly the overlaid frames,
//                   already composited and decoded (raw), and does nothing else.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TemplatePlan } from '../../src/templates/plan.ts';
import type { PlacedOverlay } from '../../src/render/render-pass.ts';
import { runFfmpeg } from '../../src/render/ffmpeg.ts';
import { audioEncoderArgs, forceKeyframesExpr, fpsValue, videoEncoderArgs } from '../../src/render/encoder.ts';

/**
 * The base video with every overlay composited on the whole timeline, as a filter
 * graph ending in [v]. Overlay images are decoded once (loop filter), as in Kasane.
 */
export function fullOverlayGraph(plan: TemplatePlan, overlays: PlacedOverlay[], work: string, baseInput: number, firstOverlayInput: number): { inputs: string[]; graph: string } {
  const fps = fpsValue(plan.fps);
  const inputs: string[] = [];
  let graph = `[${baseInput}:v]fps=${plan.fps.num}/${plan.fps.den},scale=${plan.width}:${plan.height}:force_original_aspect_ratio=decrease,pad=${plan.width}:${plan.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p,trim=end_frame=${plan.frameCount}[b0]`;
  overlays.forEach((o, k) => {
    const f = path.join(work, `full-o${k}.png`);
    writeFileSync(f, o.png);
    inputs.push('-i', f);
    const chain = ['format=yuva420p', `loop=loop=${plan.frameCount - 1}:size=1:start=0`, `setpts=N*${plan.fps.den}/${plan.fps.num}/TB`];
    if (o.fadeIn) chain.push(`fade=t=in:st=${o.startFrame / fps}:d=${o.fadeIn}:alpha=1`);
    if (o.fadeOut) chain.push(`fade=t=out:st=${o.endFrame / fps - o.fadeOut}:d=${o.fadeOut}:alpha=1`);
    graph += `;[${firstOverlayInput + k}:v]${chain.join(',')}[o${k}];[b${k}][o${k}]overlay=x=${o.x}:y=${o.y}:eof_action=pass:enable='between(n,${o.startFrame},${o.endFrame - 1})'[b${k + 1}]`;
  });
  graph += `;[b${overlays.length}]format=yuv420p[v]`;
  return { inputs, graph };
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

/** The floor: encode exactly these raw frames, keyframe at each segment start, same settings. */
export async function floorEncode(plan: TemplatePlan, raw: string, segmentFrames: number[], out: string): Promise<void> {
  const starts: number[] = [];
  let total = 0;
  for (const f of segmentFrames) {
    starts.push(total);
    total += f;
  }
  await runFfmpeg(
    ['-y', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${plan.width}x${plan.height}`, '-framerate', `${plan.fps.num}/${plan.fps.den}`, '-i', raw,
      '-an', ...videoEncoderArgs(plan.encoder, plan.fps), '-force_key_frames', forceKeyframesExpr(starts), '-frames:v', String(total), '-f', 'mpegts', out],
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
