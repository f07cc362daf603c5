// A template version is only ready if a personal segment splices into it. The
// check encodes one personalized segment's raw frames exactly as a render does
// (no overlays), checks its SPS/PPS bytes are the template's and splices the
// result into that segment, so a frame rate or encoder setting that cannot be
// spliced fails the upload with its reason instead of failing every render
// later. Costs one segment's encode.
import { runFfmpeg } from './ffmpeg.ts';
import { forceKeyframesExpr, personalVideoEncoderArgs, rawInputArgs, type EncoderSettings, type Rational } from './encoder.ts';
import { parameterSetMismatch } from './ts/parameter-sets.ts';
import { SpliceError, spliceSegment } from './ts/splice.ts';

export async function checkSpliceable(
  templateSegment: Buffer,
  rawFile: string,
  v: { width: number; height: number; fps: Rational; frames: number; encoder: EncoderSettings },
  signal?: AbortSignal,
): Promise<void> {
  const { stdout } = await runFfmpeg(
    [
      ...rawInputArgs(v, rawFile),
      // The same graph a one-segment render pass builds, minus the overlays.
      '-filter_complex', '[0:v]setsar=1,format=yuv420p[v]',
      '-map', '[v]', '-an',
      ...personalVideoEncoderArgs(v.encoder, v.fps),
      '-force_key_frames', forceKeyframesExpr([0]),
      '-frames:v', String(v.frames),
      '-f', 'mpegts', 'pipe:1',
    ],
    { captureStdout: true, signal, timeoutMs: 10 * 60_000 },
  );
  // A decoder takes new SPS/PPS at a keyframe without complaint, so the splice alone cannot
  // tell: players that configure their decoder once (MSE) need the template's exact headers.
  const why = parameterSetMismatch(templateSegment, stdout);
  if (why) throw new SpliceError(`the personal encode's H.264 headers differ from the template's: ${why}`);
  spliceSegment(templateSegment, stdout);
}
