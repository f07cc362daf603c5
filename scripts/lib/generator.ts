// What every sample-video generator shares around its scenes: the video's
// shape, encoding it (fonts, frames, audio → mp4) and running as a command.
import { pathToFileURL } from 'node:url';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { encodeMp4, type EncodeOptions } from './encode.ts';
import { registerFonts } from './fonts.ts';

export interface VideoSpec {
  width: number;
  height: number;
  fps: number;
  duration: number; // s
  sampleRate: number;
  /** Draws the (opaque) frame at time t seconds. */
  drawFrame: (ctx: SKRSContext2D, t: number) => void;
  /** Interleaved stereo s16le PCM, exactly duration × sampleRate frames. */
  synthesizeAudio: () => Buffer;
  x264: EncodeOptions['x264'];
  tmpPrefix: string;
}

export async function encodeVideo(v: VideoSpec, out: string, started = Date.now()): Promise<void> {
  registerFonts();
  await encodeMp4({
    out,
    width: v.width,
    height: v.height,
    fps: v.fps,
    frames: v.fps * v.duration,
    drawFrame: v.drawFrame,
    synthesizeAudio: v.synthesizeAudio,
    sampleRate: v.sampleRate,
    x264: v.x264,
    audioBitrate: '128k',
    tmpPrefix: v.tmpPrefix,
    started,
  });
}

/** Runs main when the module is the script tsx was started with (not when imported, e.g. to draw stills). */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  const script = process.argv[1];
  if (!script || pathToFileURL(script).href !== moduleUrl) return;
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  });
}
