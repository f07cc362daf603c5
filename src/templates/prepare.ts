// Prepares a template version once: one single-pass encode of the whole base
// video (keyframes at every segment start and overlay edge), cut into
// segments; static ones are shared by every viewer, dynamic ones keep their
// source frames as raw yuv420p (a mezzanine) for per-person compositing.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLIP_TO_GAMUT, toOutputColourFilters } from '../video/colour.ts';
import { FfmpegError, ffmpegVersion, probe, runFfmpeg, type ProbeResult } from '../video/ffmpeg.ts';
import { audioEncoderArgs, forceKeyframesExpr, fpsValue, toRational, tsMuxArgs, videoEncoderArgs, type EncoderSettings, type Rational } from '../video/encoder.ts';
import { cutSegmentsFromFile } from '../video/ts/segmenter.ts';
import { compressMezzanine, MEZZANINE_EXT, seedRawMezzanine } from '../video/mezzanine.ts';
import { SpliceError } from '../video/ts/splice.ts';
import { checkSpliceable } from '../video/splice-check.ts';
import { validatePackage, blocking, MAX_DURATION_SEC } from './validate-package.ts';
import { problemAt } from './package/problems.ts';
import { embedSvgSources } from '../overlays/index.ts';
import type { Storage } from '../storage/storage.ts';
import { applyLocale, encoderSettings, loadManifest, ManifestError, type Manifest } from './manifest.ts';
import { layerFrames, planKey, versionPrefix, type SegmentInfo, type TemplatePlan } from './plan.ts';
import { planSegments, type PlannedSegment, type Window } from './segment-plan.ts';

/** Bump when the prepared layout changes, so old preparations are not reused. */
const PREPARE_FORMAT = 9; // 5: rotated (phone) clips are prepared upright; 6: audio muxed one PES per AAC frame (short segments keep their sound); 7: mezzanines stored as lossless H.264 (video/mezzanine.ts); 8: BT.709 throughout, tagged in the SPS; 9: pictures brought inside the RGB gamut (both video/colour.ts)

export interface PrepareOptions {
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

/** Every regular file of a package folder, relative, sorted; hidden files and symlinks skipped. */
export async function packageFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/** Content hash of the whole package (manifest, video, images, fonts) and the encoder build. */
export async function templateVersion(dir: string, manifest: Manifest): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify({ PREPARE_FORMAT, manifest, ffmpeg: await ffmpegVersion() }));
  for (const rel of await packageFiles(dir)) {
    h.update(`\0${rel}\0`);
    await new Promise<void>((resolve, reject) => {
      createReadStream(path.join(dir, rel))
        .on('data', (b) => h.update(b))
        .on('end', () => resolve())
        .on('error', reject);
    });
  }
  return 'v' + h.digest('hex').slice(0, 16);
}

export async function loadPlan(storage: Storage, templateId: string, version: string): Promise<TemplatePlan | null> {
  const raw = await storage.get(planKey(templateId, version));
  return raw ? (JSON.parse(raw.toString('utf8')) as TemplatePlan) : null;
}

export async function prepareTemplate(dir: string, storage: Storage, opts: PrepareOptions = {}): Promise<TemplatePlan> {
  const log = opts.log ?? (() => {});
  const manifest = await loadManifest(dir);
  // The same checks as an upload (bundled templates included): fonts, overflow, files, video.
  const report = await validatePackage(dir);
  const stop = blocking(report.problems);
  if (stop.length) throw new ManifestError(stop);
  const version = await templateVersion(dir, manifest);
  // After hashing (the upload route hashes the same package without it): SVG layers key
  // their content by the filled-in SVG text, so the plan carries the source.
  await embedSvgSources(manifest.layers, { read: (rel) => readFile(path.join(dir, rel)) });
  applyLocale(manifest);
  const existing = await loadPlan(storage, manifest.id, version);
  if (existing) return existing;

  const video = await measureBaseVideo(dir, manifest, log, opts.signal);
  const { fps, frameCount } = video;
  const windows: Window[] = manifest.layers.map((l) => ({ layerId: l.id, ...layerFrames(l, fps, frameCount) }));
  const planned = planSegments(frameCount, fpsValue(fps), windows);
  const work = await mkdtemp(path.join(os.tmpdir(), 'kasane-prepare-'));
  try {
    const job: PrepareJob = { manifest, video, encoder: encoderSettings(manifest), prefix: versionPrefix(manifest.id, version), work, storage, log, signal: opts.signal };
    const fullTs = await encodeBaseVideo(job, planned);
    const segments = await storeSegments(job, planned, fullTs);
    const plan = await planOf(job, version, segments);
    await storePackageFiles(dir, job);
    // The plan is written last: its presence means the version is complete.
    await storage.put(planKey(manifest.id, version), Buffer.from(JSON.stringify(plan, null, 2)));
    log(`${manifest.id}: prepared ${version}`);
    return plan;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The base video as prepared: what the probe said, the output size and rate, and the frames that really decode. */
interface BaseVideo {
  file: string;
  src: ProbeResult;
  fps: Rational;
  width: number;
  height: number;
  frameCount: number;
}

/** One preparation's settled facts, shared by its steps. */
interface PrepareJob {
  manifest: Manifest;
  video: BaseVideo;
  encoder: EncoderSettings;
  /** Storage key prefix of this version. */
  prefix: string;
  /** Scratch folder: the single-pass encode and the raw mezzanines. */
  work: string;
  storage: Storage;
  log: (msg: string) => void;
  signal?: AbortSignal;
}

/** Probes the base video, settles the output size and rate, and counts its frames within the length limit. */
async function measureBaseVideo(dir: string, manifest: Manifest, log: (msg: string) => void, signal?: AbortSignal): Promise<BaseVideo> {
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

  if (src.colour.matrix && src.colour.matrix !== 'bt709') log(`${manifest.id}: colour ${[src.colour.matrix, src.colour.transfer].join('/')} converted to BT.709`);
  log(`${manifest.id}: audio ${src.audioTrack ? `from the first track (${src.audioTrack}) of ${src.audioTracks}` : 'none in the video: a silent track'}`);
  log(`${manifest.id}: counting frames`);
  // The container's duration is only a claim (validation checked it): count what really
  // decodes, and stop one frame past the limit so a long file costs no more than a legal one.
  const maxFrames = Math.floor((MAX_DURATION_SEC * fps.num) / fps.den);
  const frameCount = await countFrames(videoFile, fps, maxFrames + 1, signal);
  if (frameCount > maxFrames) {
    throw new ManifestError([
      problemAt('/video/file', 'video_decodes_too_long', { file: manifest.video.file, max: MAX_DURATION_SEC, header: src.durationSec.toFixed(1) }),
    ]);
  }
  return { file: videoFile, src, fps, width, height, frameCount };
}

const dynamicOf = (planned: PlannedSegment[]) => planned.filter((s) => s.layers.length > 0);
const mezzaninePath = (work: string, i: number) => path.join(work, `mezz${i}.yuv`);

/**
 * The filter graph of the one encode: [main] the whole video at the output size and
 * rate, [z<i>] the frames of the i-th personalized segment, [a] the audio padded or
 * trimmed to the video's length.
 */
function encodeGraph(video: BaseVideo, dynamic: PlannedSegment[]): string {
  const { fps, width, height, frameCount, src } = video;
  const split = 1 + dynamic.length;
  const scale = `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1`;
  const colour = toOutputColourFilters(src.colour).map((f) => `${f},`).join('');
  let graph = `[0:v]fps=${fps.num}/${fps.den},${colour}${scale},format=yuv420p,${CLIP_TO_GAMUT},trim=end_frame=${frameCount},split=${split}[main]${dynamic.map((_, i) => `[m${i}]`).join('')}`;
  dynamic.forEach((s, i) => {
    graph += `;[m${i}]trim=start_frame=${s.startFrame}:end_frame=${s.startFrame + s.frames},setpts=PTS-STARTPTS[z${i}]`;
  });
  const samples = Math.round((frameCount * fps.den * 48000) / fps.num);
  graph += `;[${src.hasAudio ? '0:a:0' : '1:a'}]aresample=48000,apad=whole_len=${samples},atrim=end_sample=${samples}[a]`;
  return graph;
}

/** The single-pass encode: full.ts (keyframe at every segment start) and a raw mezzanine per personalized segment. Returns full.ts. */
async function encodeBaseVideo(job: PrepareJob, planned: PlannedSegment[]): Promise<string> {
  const { manifest, video, encoder, work } = job;
  const { fps, width, height, frameCount } = video;
  const dynamic = dynamicOf(planned);
  const graph = encodeGraph(video, dynamic);
  // A template without sound still gets a silent track: players dislike streams whose tracks change.
  const audioIn = video.src.hasAudio ? [] : ['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo'];
  const fullTs = path.join(work, 'full.ts');
  // Phone clips store portrait video as landscape plus a display matrix; ffmpeg turns the
  // decoded frames upright (the probe reported the turned size). Its default, made explicit.
  const args = ['-y', '-autorotate', '1', '-i', video.file, ...audioIn, '-filter_complex', graph];
  // -frames:v: the encode never runs past the counted frames, whatever the input holds.
  args.push('-map', '[main]', '-map', '[a]', '-frames:v', String(frameCount), ...videoEncoderArgs(encoder, fps), '-force_key_frames', forceKeyframesExpr(planned.map((s) => s.startFrame)), ...audioEncoderArgs(encoder), ...tsMuxArgs(), '-f', 'mpegts', fullTs);
  dynamic.forEach((_, i) => {
    // Raw frames: a personalized segment is one generation from the source, like a static
    // one, and reading them costs next to nothing (decoding a lossless H.264 mezzanine
    // cost ~40% of the encode). Disk: width × height × 1.5 bytes per overlaid frame.
    args.push('-map', `[z${i}]`, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', mezzaninePath(work, i));
  });
  job.log(`${manifest.id}: encoding ${planned.length} segments (${dynamic.length} personalized) at ${width}x${height} ${fpsValue(fps).toFixed(3)} fps`);
  const encodeMs = encodeBudgetMs(frameCount, width, height);
  await runFfmpeg(args, { signal: job.signal, timeoutMs: encodeMs }).catch(tooSlow(manifest.video.file, 'encode', encodeMs));
  return fullTs;
}

/** Cuts full.ts into the planned segments and stores them, with their mezzanines; the first personalized one is splice-checked. */
async function storeSegments(job: PrepareJob, planned: PlannedSegment[], fullTs: string): Promise<SegmentInfo[]> {
  const { manifest, video, encoder, prefix, work, storage } = job;
  const { fps, width, height } = video;
  const dynamic = dynamicOf(planned);
  // Cut while reading: the single-pass file is never held in memory whole.
  const segments: SegmentInfo[] = [];
  for await (const c of cutSegmentsFromFile(fullTs, planned.map((s) => s.startFrame))) {
    const s = planned[c.index]!;
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
      if (i === 0) {
        await spliceSelfCheck(c.bytes, mezzaninePath(work, i), { width, height, fps, frames: s.frames, encoder }, s.index, job.signal);
        job.log(`${manifest.id}: splice self-check passed on segment ${s.index}`);
      }
      // Stored compact and lossless; each machine expands it to raw frames once (video/mezzanine.ts).
      info.mezzanine = `${prefix}/mezz/${s.index}${MEZZANINE_EXT}`;
      const compact = path.join(work, `mezz${i}${MEZZANINE_EXT}`);
      await compressMezzanine(mezzaninePath(work, i), compact, { width, height, fps }, job.signal);
      await storage.putFile(info.mezzanine, compact);
      // The raw frames are at hand: this machine's first render skips the expansion.
      await seedRawMezzanine(storage, info.mezzanine, mezzaninePath(work, i));
    }
    segments.push(info);
  }
  if (segments.length !== planned.length) throw new Error(`segmenter produced ${segments.length} segments, planned ${planned.length}`);
  return segments;
}

async function planOf(job: PrepareJob, version: string, segments: SegmentInfo[]): Promise<TemplatePlan> {
  const { manifest, video, encoder } = job;
  const { src, fps, width, height, frameCount } = video;
  return {
    templateId: manifest.id,
    version,
    preparedAt: new Date().toISOString(),
    ffmpegVersion: await ffmpegVersion(),
    manifest,
    width,
    height,
    fps,
    frameCount,
    duration: (frameCount * fps.den) / fps.num,
    encoder,
    targetDuration: Math.max(1, ...segments.map((s) => Math.round(s.duration))),
    segments,
    source: { width: src.width, height: src.height, rotation: src.rotation, fps: src.fps, duration: src.durationSec, hasAudio: src.hasAudio, audioTracks: src.audioTracks, audioTrack: src.audioTrack, videoCodec: src.videoCodec },
  };
}

/** Package files the overlays draw from (images, SVGs, fonts); the base video is not needed again. */
async function storePackageFiles(dir: string, job: PrepareJob): Promise<void> {
  for (const rel of await packageFiles(dir)) {
    if (rel === job.manifest.video.file) continue;
    await job.storage.put(`${job.prefix}/package/${rel}`, await readFile(path.join(dir, rel)));
  }
}

/** A timed-out ffmpeg run becomes a problem of the video (not a retryable failure). */
function tooSlow(name: string, what: 'decode' | 'encode', ms: number) {
  return (e: unknown): never => {
    if (e instanceof FfmpegError && e.message.includes('timed out')) {
      throw new ManifestError([
        problemAt('/video/file', 'video_too_slow', { file: name, sec: Math.round(ms / 1000), what }),
      ]);
    }
    throw e;
  };
}

/** A version whose personal segments would not splice is refused at preparation, with the reason. */
async function spliceSelfCheck(segment: Buffer, raw: string, v: Parameters<typeof checkSpliceable>[2], index: number, signal?: AbortSignal): Promise<void> {
  try {
    await checkSpliceable(segment, raw, v, signal);
  } catch (e) {
    if (!(e instanceof SpliceError)) throw e;
    const rate = fpsValue(v.fps).toFixed(3);
    throw new ManifestError([
      problemAt('/video/file', 'splice_impossible', { rate, index, detail: e.message }),
    ]);
  }
}

function even(n: number): number {
  return n % 2 === 0 ? n : n - 1;
}

/** Wall-clock limits: a prepare worker is never held for long by one upload. */
const COUNT_TIMEOUT_MS = 10 * 60_000;

/**
 * The encode's time limit, from the work it really has (counted frames × size): 0.2 s per
 * 1080p-sized frame (5 fps at 1080p, far below veryfast on 2 cores, even at idle priority
 * beside renders) plus 3 min, never over 30 min. A small template that stalls is stopped
 * in minutes, not half an hour.
 */
function encodeBudgetMs(frames: number, width: number, height: number): number {
  return Math.min(30 * 60_000, 3 * 60_000 + Math.ceil(frames * ((width * height) / (1920 * 1080)) * 200));
}

/** Frames of the base video at the output rate, counted by decoding (at most `cap`). */
async function countFrames(file: string, fps: Rational, cap: number, signal?: AbortSignal): Promise<number> {
  const args = ['-i', file, '-map', '0:v:0', '-vf', `fps=${fps.num}/${fps.den}`, '-frames:v', String(cap), '-f', 'null', '-'];
  const { stderr } = await runFfmpeg(args, { timeoutMs: COUNT_TIMEOUT_MS, signal }).catch(tooSlow(path.basename(file), 'decode', COUNT_TIMEOUT_MS));
  const all = [...stderr.matchAll(/frame=\s*(\d+)/g)];
  const n = Number(all[all.length - 1]?.[1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error('could not count the frames of the base video');
  return n;
}
