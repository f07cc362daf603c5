// What every sample-video generator shares around its scenes: the video's
// shape (30 s, 30 fps, 48 kHz unless it says otherwise), its soundtrack from a
// score, encoding it (fonts, frames, audio → mp4) and running as a command.
import { pathToFileURL } from 'node:url';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { encodeMp4, type EncodeOptions } from './encode.ts';
import { registerFonts } from './fonts.ts';
import { type Score, synthesize } from './synth.ts';

export interface Video {
  width: number;
  height: number;
  fps?: number;
  duration?: number; // s
  sampleRate?: number;
  /** Draws the (opaque) frame at time t seconds. */
  drawFrame: (ctx: SKRSContext2D, t: number) => void;
  /** The soundtrack (its rate and length are the video's). */
  score: Omit<Score, 'sr' | 'duration'>;
  x264: EncodeOptions['x264'];
  tmpPrefix: string;
}

const shape = (v: Video) => ({ fps: v.fps ?? 30, duration: v.duration ?? 30, sampleRate: v.sampleRate ?? 48000 });

/** Interleaved stereo s16le PCM, exactly duration × sampleRate frames. */
export function videoAudio(v: Video): Buffer {
  const { duration, sampleRate } = shape(v);
  return synthesize({ ...v.score, sr: sampleRate, duration });
}

export async function encodeVideo(v: Video, out: string, started = Date.now()): Promise<void> {
  const { fps, duration, sampleRate } = shape(v);
  registerFonts();
  await encodeMp4({
    out,
    width: v.width,
    height: v.height,
    fps,
    frames: fps * duration,
    drawFrame: v.drawFrame,
    synthesizeAudio: () => videoAudio(v),
    sampleRate,
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
