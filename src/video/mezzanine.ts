// Mezzanines: the source frames of a personalized segment, which every render composites
// onto. Raw yuv420p is what ffmpeg reads fastest, but it is large (1.4 MB per 720p
// frame), so storage keeps a compact LOSSLESS copy and each machine expands it once into
// its cache. Lossless H.264 (x264 -qp 0 -preset ultrafast) in Matroska, chosen over FFV1
// and over slower x264 presets on real mezzanines, all bit-exact (docs/storage.md). 1280x720,
// 120 frames, 165.9 MB raw, CPU seconds: ultrafast 9.1 MB, encode 0.5 s, decode 0.4 s;
// veryfast 5.8 MB, 1.2 s, 0.65 s; FFV1 26.1 MB, 1.9 s, 2.4 s. The decode is what a cache
// miss costs a render, the encode what preparation costs: both matter more than the size.
import { copyFile, rename, stat } from 'node:fs/promises';
import type { CachedFile, Storage } from '../storage/storage.ts';
import { rawInputArgs, type Rational } from './encoder.ts';
import { runFfmpeg } from './ffmpeg.ts';

export const MEZZANINE_EXT = '.mkv';

export interface MezzanineShape {
  width: number;
  height: number;
  fps: Rational;
}

/** Bytes of one raw yuv420p frame. */
export function rawFrameBytes(v: Pick<MezzanineShape, 'width' | 'height'>): number {
  return v.width * v.height + 2 * ((v.width / 2) * (v.height / 2));
}

/** Raw yuv420p frames → the compact lossless copy that is stored. */
export async function compressMezzanine(raw: string, out: string, v: MezzanineShape, signal?: AbortSignal): Promise<void> {
  await runFfmpeg(['-v', 'error', '-y', ...rawInputArgs(v, raw), '-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'matroska', out], { signal, timeoutMs: 10 * 60_000 });
}

/** The stored copy → raw yuv420p frames, every frame once (no rate conversion). */
export async function expandMezzanine(src: string, out: string, signal?: AbortSignal): Promise<void> {
  await runFfmpeg(['-v', 'error', '-y', '-i', src, '-map', '0:v:0', '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', out], { signal, timeoutMs: 10 * 60_000 });
}

/**
 * Puts raw frames that are already at hand (preparation has them) into this machine's
 * cache as the expansion of the stored copy `key`, so the first render here skips the decode.
 */
export async function seedRawMezzanine(storage: Storage, key: string, raw: string): Promise<void> {
  const file = await storage.derived(key, '.yuv', async (out) => {
    try {
      await rename(raw, out);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      await copyFile(raw, out); // the cache is on another filesystem
    }
  });
  file?.release();
}

/** Throws (releasing the pin) unless the raw file holds exactly `frames` frames: a short one would silently encode fewer. */
async function checkedRaw(file: CachedFile, key: string, v: MezzanineShape & { frames: number }): Promise<CachedFile> {
  const size = (await stat(file.path).catch(() => null))?.size;
  if (size !== v.frames * rawFrameBytes(v)) {
    file.release();
    throw new Error(`mezzanine ${key} has ${size ?? 0} bytes of frames, expected ${v.frames * rawFrameBytes(v)}`);
  }
  return file;
}

/** A segment's mezzanine as raw frames in this machine's cache (expanded first if need be), pinned until release(). */
export async function rawMezzanine(storage: Storage, key: string, v: MezzanineShape & { frames: number }, signal?: AbortSignal): Promise<CachedFile> {
  const file = await storage.derived(key, '.yuv', async (out, source) => expandMezzanine(await source(), out, signal));
  if (!file) throw new Error(`mezzanine ${key} is missing`);
  return checkedRaw(file, key, v);
}

export interface MezzanineInput {
  /** Pinned until the render's ffmpeg is done. */
  file: CachedFile;
  /** ffmpeg input arguments for it. */
  args: string[];
  /** False when the render decodes the stored copy itself: expand it afterwards (expandLater). */
  raw: boolean;
}

/**
 * How a render reads a segment's mezzanine: the raw frames when this machine has them, else
 * the stored lossless copy, decoded by the render's own ffmpeg as it goes. Expanding first
 * made a worker with a cold cache wait for every segment of the pass to be decoded and
 * written before the first frame was encoded (phone-plan: first segment at 11.7–15.6 s
 * instead of 4.2–4.7 s, bench/README "Issue 11"). The decoded frames are the same bytes.
 */
export async function mezzanineInput(storage: Storage, key: string, v: MezzanineShape & { frames: number }): Promise<MezzanineInput> {
  const raw = await storage.derivedIfMade(key, '.yuv');
  if (raw) return { file: await checkedRaw(raw, key, v), args: rawInputArgs(v, raw.path), raw: true };
  const stored = await storage.cached(key);
  if (!stored) throw new Error(`mezzanine ${key} is missing`);
  return { file: stored, args: ['-i', stored.path], raw: false };
}

/** Expands a mezzanine into this machine's cache in the background, for the renders that come next; failures only cost that speed-up. */
export function expandLater(storage: Storage, key: string, v: MezzanineShape & { frames: number }): void {
  rawMezzanine(storage, key, v).then((f) => f.release(), () => {});
}
