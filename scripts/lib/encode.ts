// Renders canvas frames and a PCM soundtrack into an H.264 + AAC mp4: frames
// are drawn one by one, piped to ffmpeg as raw RGBA, the audio goes through a
// temp file; afterwards the movie/track durations are fixed from the edit lists.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { fixMp4Durations } from './mp4.ts';
// The same ffmpeg as the service (FFMPEG_PATH, read by src/config).
import { ffmpegPath } from '../../src/video/ffmpeg.ts';

export interface EncodeOptions {
  out: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  /** Draws the (opaque) frame at time t seconds. */
  drawFrame: (ctx: SKRSContext2D, t: number) => void;
  /** Interleaved stereo s16le PCM at `sampleRate`. */
  synthesizeAudio: () => Buffer;
  sampleRate: number;
  x264: { preset: string; crf: number; gopSeconds: number; extraArgs?: string[] };
  audioBitrate: string; // e.g. '128k'
  tmpPrefix: string;
  /** Time origin for the log lines (defaults to the call). */
  started?: number;
}

export async function encodeMp4(o: EncodeOptions): Promise<{ bytes: number; seconds: number }> {
  const started = o.started ?? Date.now();
  const ffmpeg = ffmpegPath();
  const { width: W, height: H, fps: FPS, frames: FRAMES, sampleRate: SR } = o;
  const tmp = mkdtempSync(path.join(tmpdir(), o.tmpPrefix));
  try {
    const pcmPath = path.join(tmp, 'audio.s16le');
    const pcm = o.synthesizeAudio();
    writeFileSync(pcmPath, pcm);
    console.log(`audio: ${pcm.length / 4} samples/channel (${(pcm.length / 1e6).toFixed(1)} MB PCM) in ${Date.now() - started} ms`);

    mkdirSync(path.dirname(o.out), { recursive: true });
    const gop = String(Math.round(o.x264.gopSeconds * FPS));
    const args = [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${W}x${H}`, '-r', String(FPS), '-i', 'pipe:0',
      '-f', 's16le', '-ar', String(SR), '-ac', '2', '-i', pcmPath,
      '-map', '0:v:0', '-map', '1:a:0',
      '-c:v', 'libx264', '-preset', o.x264.preset, '-crf', String(o.x264.crf), '-pix_fmt', 'yuv420p',
      // a keyframe every gopSeconds so segment boundaries (and every overlay start/end) are cuttable
      '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
      ...(o.x264.extraArgs ?? []),
      '-c:a', 'aac', '-b:a', o.audioBitrate, '-ar', String(SR), '-ac', '2',
      '-map_metadata', '-1', '-fflags', '+bitexact',
      '-movflags', '+faststart',
      o.out,
    ];
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code));
    });
    let pipeError: Error | undefined;
    child.stdin.on('error', (e) => {
      pipeError = e;
    });

    const canvas = createCanvas(W, H);
    const ctx = canvas.getContext('2d');
    const videoStart = Date.now();
    const logEvery = 3 * FPS;
    for (let f = 0; f < FRAMES; f++) {
      if (pipeError) break;
      o.drawFrame(ctx, f / FPS);
      const img = ctx.getImageData(0, 0, W, H);
      const buf = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
      if (!child.stdin.write(buf)) await Promise.race([once(child.stdin, 'drain'), exited]);
      if ((f + 1) % logEvery === 0) {
        const el = (Date.now() - videoStart) / 1000;
        console.log(`video: frame ${f + 1}/${FRAMES} (${((f + 1) / FPS).toFixed(1)} s) — ${((f + 1) / el).toFixed(1)} fps`);
      }
    }
    child.stdin.end();
    const code = await exited;
    if (code !== 0 || pipeError) {
      throw new Error(`ffmpeg failed (exit ${code})${pipeError ? `: ${pipeError.message}` : ''}\n${stderr}`);
    }
    const fix = fixMp4Durations(o.out);
    console.log(`mp4: movie duration ${fix.before / fix.timescale} s -> ${fix.after / fix.timescale} s (from edit lists)`);
    const size = statSync(o.out).size;
    const seconds = (Date.now() - started) / 1000;
    console.log(`wrote ${path.relative(process.cwd(), o.out) || o.out}: ${(size / 1024 / 1024).toFixed(2)} MB (${size} bytes) in ${seconds.toFixed(1)} s`);
    return { bytes: size, seconds };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
