// Prepares a template version once: one single-pass encode of the whole base
// video (keyframes at every segment start and overlay edge), cut into
// segments; static ones are shared by every viewer, dynamic ones keep a
// lossless mezzanine of their frames for per-person compositing.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ffmpegVersion, probe, runFfmpeg, type ProbeResult } from '../render/ffmpeg.ts';
import { audioEncoderArgs, forceKeyframesExpr, fpsValue, toRational, videoEncoderArgs, type Rational } from '../render/encoder.ts';
import { cutSegments } from '../render/ts/segmenter.ts';
import type { Storage } from '../storage/storage.ts';
import { encoderSettings, loadManifest, ManifestError, type Manifest } from './manifest.ts';
import { layerFrames, planKey, versionPrefix, type SegmentInfo, type TemplatePlan } from './plan.ts';
import { planSegments, type Window } from './segment-plan.ts';
import type { FieldProblem } from './fields.ts';

/** Bump when the prepared layout changes, so old preparations are not reused. */
const PREPARE_FORMAT = 2;
export const MAX_DURATION_SEC = 600;

export interface PrepareOptions {
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

export async function templateVersion(dir: string, manifest: Manifest): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify({ PREPARE_FORMAT, manifest, ffmpeg: await ffmpegVersion() }));
  await new Promise<void>((resolve, reject) => {
    createReadStream(path.join(dir, manifest.video.file))
      .on('data', (b) => h.update(b))
      .on('end', () => resolve())
      .on('error', reject);
  });
  return 'v' + h.digest('hex').slice(0, 16);
}

export async function loadPlan(storage: Storage, templateId: string, version: string): Promise<TemplatePlan | null> {
  const raw = await storage.get(planKey(templateId, version));
  return raw ? (JSON.parse(raw.toString('utf8')) as TemplatePlan) : null;
}

export async function prepareTemplate(dir: string, storage: Storage, opts: PrepareOptions = {}): Promise<TemplatePlan> {
  const log = opts.log ?? (() => {});
  const manifest = await loadManifest(dir);
  const version = await templateVersion(dir, manifest);
  const existing = await loadPlan(storage, manifest.id, version);
  if (existing) return existing;

  const videoFile = path.join(dir, manifest.video.file);
  let src: ProbeResult;
  try {
    src = await probe(videoFile);
  } catch (e) {
    throw new ManifestError([{ pointer: '/video/file', message: `${manifest.video.file}: ${(e as Error).message}` }]);
  }
  const fps = toRational(manifest.output?.fps ?? src.fps);
  const width = manifest.output?.width ?? even(src.width);
  const height = manifest.output?.height ?? even(src.height);
  checkAgainstVideo(manifest, src, width, height);

  log(`${manifest.id}: counting frames`);
  const frameCount = await countFrames(videoFile, fps);
  const duration = (frameCount * fps.den) / fps.num;
  const windows: Window[] = manifest.layers.map((l) => ({ layerId: l.id, ...layerFrames(l, fps, frameCount) }));
  const planned = planSegments(frameCount, fpsValue(fps), windows);
  const prefix = versionPrefix(manifest.id, version);
  const encoder = encoderSettings(manifest);
  const work = await mkdtemp(path.join(os.tmpdir(), 'kasane-prepare-'));
  try {
    const dynamic = planned.filter((s) => s.layers.length > 0);
    const split = 1 + dynamic.length;
    const scale = `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1`;
    let graph = `[0:v]fps=${fps.num}/${fps.den},${scale},format=yuv420p,trim=end_frame=${frameCount},split=${split}[main]${dynamic.map((_, i) => `[m${i}]`).join('')}`;
    dynamic.forEach((s, i) => {
      graph += `;[m${i}]trim=start_frame=${s.startFrame}:end_frame=${s.startFrame + s.frames},setpts=PTS-STARTPTS[z${i}]`;
    });
    const samples = Math.round((frameCount * fps.den * 48000) / fps.num);
    // A template without sound still gets a silent track: players dislike streams whose tracks change.
    const audioIn = src.hasAudio ? [] : ['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo'];
    graph += `;[${src.hasAudio ? '0:a:0' : '1:a'}]aresample=48000,apad=whole_len=${samples},atrim=end_sample=${samples}[a]`;
    const fullTs = path.join(work, 'full.ts');
    const args = ['-y', '-i', videoFile, ...audioIn, '-filter_complex', graph];
    args.push('-map', '[main]', '-map', '[a]', ...videoEncoderArgs(encoder, fps), '-force_key_frames', forceKeyframesExpr(planned.map((s) => s.startFrame)), ...audioEncoderArgs(encoder), '-f', 'mpegts', fullTs);
    dynamic.forEach((_, i) => {
      // Lossless, so a personalized segment is one generation from the source, like a static one.
      args.push('-map', `[z${i}]`, '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', '-f', 'matroska', path.join(work, `mezz${i}.mkv`));
    });
    log(`${manifest.id}: encoding ${planned.length} segments (${dynamic.length} personalized) at ${width}x${height} ${fpsValue(fps).toFixed(3)} fps`);
    await runFfmpeg(args, { signal: opts.signal, timeoutMs: 30 * 60_000 });

    const cut = cutSegments(await readFile(fullTs), planned.map((s) => s.startFrame));
    if (cut.length !== planned.length) throw new Error(`segmenter produced ${cut.length} segments, planned ${planned.length}`);
    const segments: SegmentInfo[] = [];
    for (const s of planned) {
      const c = cut[s.index]!;
      if (c.frames !== s.frames) throw new Error(`segment ${s.index} has ${c.frames} frames, planned ${s.frames}`);
      const key = `${prefix}/seg/${s.index}.ts`;
      await storage.put(key, c.bytes);
      const info: SegmentInfo = {
        index: s.index,
        startFrame: s.startFrame,
        frames: s.frames,
        duration: (s.frames * fps.den) / fps.num,
        pts: c.firstPts,
        dts: c.firstDts,
        kind: s.layers.length ? 'dynamic' : 'static',
        layers: s.layers,
        key,
      };
      if (s.layers.length) {
        const i = dynamic.indexOf(s);
        info.mezzanine = `${prefix}/mezz/${s.index}.mkv`;
        await storage.put(info.mezzanine, await readFile(path.join(work, `mezz${i}.mkv`)));
      }
      segments.push(info);
    }
    const plan: TemplatePlan = {
      templateId: manifest.id,
      version,
      preparedAt: new Date().toISOString(),
      ffmpegVersion: await ffmpegVersion(),
      manifest,
      width,
      height,
      fps,
      frameCount,
      duration,
      encoder,
      targetDuration: Math.max(1, ...segments.map((s) => Math.round(s.duration))),
      segments,
      source: { width: src.width, height: src.height, fps: src.fps, duration: src.durationSec, hasAudio: src.hasAudio, videoCodec: src.videoCodec },
    };
    // The plan is written last: its presence means the version is complete.
    await storage.put(planKey(manifest.id, version), Buffer.from(JSON.stringify(plan, null, 2)));
    log(`${manifest.id}: prepared ${version}`);
    return plan;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function even(n: number): number {
  return n % 2 === 0 ? n : n - 1;
}

async function countFrames(file: string, fps: Rational): Promise<number> {
  const { stderr } = await runFfmpeg(['-i', file, '-map', '0:v:0', '-vf', `fps=${fps.num}/${fps.den}`, '-f', 'null', '-'], { timeoutMs: 10 * 60_000 });
  const all = [...stderr.matchAll(/frame=\s*(\d+)/g)];
  const n = Number(all[all.length - 1]?.[1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error('could not count the frames of the base video');
  return n;
}

function checkAgainstVideo(m: Manifest, src: ProbeResult, width: number, height: number): void {
  const p: FieldProblem[] = [];
  const landscape = width >= height;
  if ((landscape && (width > 1920 || height > 1080)) || (!landscape && (width > 1080 || height > 1920))) {
    p.push({ pointer: '/output', message: `${width}x${height} is larger than 1920x1080 (or 1080x1920 portrait)` });
  }
  if (src.durationSec > MAX_DURATION_SEC) p.push({ pointer: '/video/file', message: `base video is ${src.durationSec.toFixed(1)} s; the limit is ${MAX_DURATION_SEC} s` });
  m.layers.forEach((l, i) => {
    if (l.end > src.durationSec + 0.001) p.push({ pointer: `/layers/${i}/end`, message: `ends at ${l.end} s, after the video's ${src.durationSec.toFixed(2)} s` });
    const b = l.box;
    if (b.x < 0 || b.y < 0 || b.x + b.width > width || b.y + b.height > height) {
      p.push({ pointer: `/layers/${i}/box`, message: `box ${b.x},${b.y} ${b.width}x${b.height} is outside the ${width}x${height} frame` });
    }
  });
  if (p.length) throw new ManifestError(p);
}
