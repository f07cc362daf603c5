// Issue 13 §2: what a cheaper personal encode costs and gives. For the bundled
// templates at their real sizes, the personalized segments (real overlays drawn
// for the example person) are composited once to raw frames; then each x264
// option set encodes exactly those frames, interleaved over repetitions, and is
// judged on: SPS/PPS bytes identical to the template segment's, the splice
// (spliced into the template playlist, decoded with no warning), SSIM against
// the raw composited frames, bitrate against the template's cap, and CPU
// seconds (user + sys of the ffmpeg child) per frame.
//
//   npx tsx bench/encode.ts [--reps 3] [--segments 2] [--no-presets] [--storage bench/.cache/poster-storage] [--templates energy-savings,phone-plan]
//
// Prepares the bundled templates into --storage when they are not there yet.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, loadConfig } from '../src/config/index.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { rawMezzanine } from '../src/video/mezzanine.ts';
import { prepareTemplate } from '../src/templates/prepare.ts';
import type { SegmentInfo, TemplatePlan } from '../src/templates/plan.ts';
import { drawContext, overlaysFor, registerPackageFonts } from '../src/render/personalize.ts';
import { overlayChain, rawInputArgs } from '../src/render/render-pass.ts';
import { ensureFonts } from '../src/overlays/index.ts';
import { ffmpegPath, ffmpegVersion } from '../src/video/ffmpeg.ts';
import { forceKeyframesExpr, personalX264Params, videoEncoderArgs, type EncoderSettings } from '../src/video/encoder.ts';
import { parameterSetMismatch } from '../src/video/ts/parameter-sets.ts';
import { spliceSegment } from '../src/video/ts/splice.ts';
import { StreamCutter } from '../src/video/ts/stream-cutter.ts';
import { median, round } from './lib/stats.ts';

const { values: opt } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    storage: { type: 'string', default: path.join(PROJECT_ROOT, 'bench/.cache/poster-storage') },
    templates: { type: 'string', default: 'energy-savings,phone-plan' },
    // At most this many personalized segments per template (the first ones), to keep the run short.
    segments: { type: 'string', default: '2' },
    'no-presets': { type: 'boolean', default: false },
  },
});
const REPS = Number(opt.reps);
const storage = new LocalStorage(path.resolve(opt.storage!));
/** A segment's mezzanine as raw frames in the local cache (stored as lossless H.264; expanded on first use). */
const rawFrames = async (plan: TemplatePlan, s: { mezzanine?: string; frames: number }) => (await rawMezzanine(storage, s.mezzanine!, { ...plan, frames: s.frames })).path;
const work = path.join(os.tmpdir(), `kasane-bench-encode-${process.pid}`);
mkdirSync(work, { recursive: true });

/** A way to encode a template's personal frames: the template's preset plus x264 overrides (none = today's encode). */
interface Variant {
  name: string;
  preset?: string; // overrides the template's preset (the template-side question)
  x264?: string; // -x264-params
  /** Header control: expected to change the SPS/PPS (shows the check can fail). */
  control?: boolean;
}

// Everything here but the controls leaves the SPS/PPS alone in principle (me, subme,
// partitions, lookahead, mb-tree, aq, deblock strength/on-off live in slice data or
// slice headers); ref count, weighted prediction and 8x8 transform are header fields.
const VARIANTS: Variant[] = [
  { name: 'template (today)' },
  { name: 'la0', x264: 'rc-lookahead=0:mbtree=0' },
  { name: 'dia-sub1', x264: 'me=dia:subme=1' },
  { name: 'dia-sub1-nointerparts', x264: 'me=dia:subme=1:partitions=i8x8,i4x4' },
  { name: 'dia-sub1-nointerparts-nochromame', x264: 'me=dia:subme=1:partitions=i8x8,i4x4:no-chroma-me=1' },
  { name: 'dia-sub0-nointerparts', x264: 'me=dia:subme=0:partitions=i8x8,i4x4' },
  { name: 'dia-sub1-nointerparts-aq0', x264: 'me=dia:subme=1:partitions=i8x8,i4x4:aq-mode=0' },
  { name: 'superfast-analysis', x264: 'me=dia:subme=1:partitions=i8x8,i4x4:rc-lookahead=0:mbtree=0' },
  { name: 'control: ref=2', x264: 'ref=2', control: true },
  { name: 'control: weightp=0', x264: 'weightp=0', control: true },
  { name: 'control: no-8x8dct', x264: 'no-8x8dct=1', control: true },
];

interface Job {
  plan: TemplatePlan;
  segs: SegmentInfo[];
  raw: string; // composited frames of segs, concatenated
  frames: number;
}

interface Timing {
  cpu: number;
  wall: number;
}

/** Runs ffmpeg under /usr/bin/time: CPU (user + sys of ffmpeg and its threads) and wall seconds. */
function timedFfmpeg(args: string[]): Promise<Timing & { stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'KASANE-TIME %U %S %e', ffmpegPath(), '-hide_banner', '-nostdin', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /KASANE-TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`ffmpeg failed (${code}): ${err.slice(-600)}`));
      resolve({ cpu: Number(m[1]) + Number(m[2]), wall: Number(m[3]), stderr: err });
    });
  });
}

/** Example data from the manifest's field examples (what the bundled templates show in previews). */
function exampleData(plan: TemplatePlan): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(plan.manifest.fields)) data[k] = (f as { example?: unknown }).example;
  return data;
}

async function composite(plan: TemplatePlan, segs: SegmentInfo[], out: string): Promise<void> {
  ensureFonts();
  await registerPackageFonts(plan, storage);
  const ctx = drawContext(plan, storage, loadConfig(process.env).imageFetch);
  const data = exampleData(plan);
  const args: string[] = ['-y'];
  for (const s of segs) args.push(...rawInputArgs(plan, await rawFrames(plan, s)));
  const chains: string[] = [];
  let next = segs.length;
  for (let k = 0; k < segs.length; k++) {
    const overlays = await overlaysFor(plan, segs[k]!, data, ctx);
    overlays.forEach((o, i) => {
      const f = path.join(work, `${plan.templateId}-s${k}-o${i}.png`);
      writeFileSync(f, o.png);
      args.push('-framerate', `${plan.fps.num}/${plan.fps.den}`, '-i', f);
    });
    chains.push(`[${k}:v]setsar=1[m${k}]`, overlayChain(`m${k}`, String(k), next, segs[k]!, overlays, plan.fps, `s${k}`));
    next += overlays.length;
  }
  const joined = segs.length === 1 ? '[s0]' : `${segs.map((_, k) => `[s${k}]`).join('')}concat=n=${segs.length}:v=1:a=0,`;
  args.push('-filter_complex', `${chains.join(';')};${joined}format=yuv420p[v]`, '-map', '[v]', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', out);
  await timedFfmpeg(args);
}

function encoderOf(plan: TemplatePlan, v: Variant): EncoderSettings {
  return { ...plan.encoder, preset: v.preset ?? plan.encoder.preset };
}

function encodeArgs(job: Job, v: Variant, out: string): string[] {
  const starts: number[] = [];
  let total = 0;
  for (const s of job.segs) {
    starts.push(total);
    total += s.frames;
  }
  const enc = encoderOf(job.plan, v);
  return ['-y', ...rawInputArgs(job.plan, job.raw), '-vf', 'setsar=1', '-an', ...videoEncoderArgs(enc, job.plan.fps), ...(v.x264 ? ['-x264-params', v.x264] : []),
    '-force_key_frames', forceKeyframesExpr(starts), '-frames:v', String(total), '-f', 'mpegts', out];
}

async function ssimAgainstRaw(job: Job, ts: string): Promise<number> {
  const { stderr } = await timedFfmpeg(['-i', ts, ...rawInputArgs(job.plan, job.raw), '-lavfi', '[0:v]setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS[b];[a][b]ssim', '-f', 'null', '-']);
  return Number(/SSIM .*All:([\d.]+)/.exec(stderr)?.[1]);
}

/** Cuts an encode into its segments (as the render pass does while it streams). */
function cut(job: Job, ts: Buffer): Buffer[] {
  const c = new StreamCutter(job.segs.map((s) => s.frames));
  const out = c.push(ts);
  out.push(c.end());
  return out;
}

interface Quality {
  headers: string; // 'identical' or why not
  splice: string; // 'ok' or the problem
  ssim: number;
  /** Largest personalized segment after the splice (video + audio + TS), kb/s, and its video alone. */
  maxSegKbps: number;
  maxVideoKbps: number;
}

/** Splices each personal segment into the template playlist and decodes it all; warnings mean a broken splice. */
async function checkQuality(job: Job, v: Variant, ts: string): Promise<Quality> {
  const encoded = cut(job, readFileSync(ts));
  const plan = job.plan;
  let headers = 'identical';
  let splice = 'ok';
  let maxSegKbps = 0;
  let maxVideoKbps = 0;
  const replaced = new Map<number, Buffer>();
  for (let k = 0; k < job.segs.length; k++) {
    const seg = job.segs[k]!;
    const template = (await storage.get(seg.key))!;
    const why = parameterSetMismatch(template, encoded[k]!);
    if (why && headers === 'identical') headers = why.slice(0, 40);
    try {
      const spliced = spliceSegment(template, encoded[k]!);
      replaced.set(seg.index, spliced);
      maxSegKbps = Math.max(maxSegKbps, (spliced.length * 8) / 1000 / seg.duration);
    } catch (e) {
      splice = (e as Error).message.slice(0, 60);
    }
    maxVideoKbps = Math.max(maxVideoKbps, (videoBytes(encoded[k]!) * 8) / 1000 / seg.duration);
  }
  if (splice === 'ok') {
    const dir = path.join(work, `${plan.templateId}-play`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    let m3u8 = `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:${plan.targetDuration}\n#EXT-X-PLAYLIST-TYPE:VOD\n`;
    for (const s of plan.segments) {
      writeFileSync(path.join(dir, `${s.index}.ts`), replaced.get(s.index) ?? (await storage.get(s.key))!);
      m3u8 += `#EXTINF:${s.duration.toFixed(6)},\n${s.index}.ts\n`;
    }
    writeFileSync(path.join(dir, 'p.m3u8'), m3u8 + '#EXT-X-ENDLIST\n');
    const { stderr } = await timedFfmpeg(['-nostats', '-v', 'warning', '-i', path.join(dir, 'p.m3u8'), '-map', '0', '-f', 'null', '-']);
    const warnings = stderr.replace(/KASANE-TIME.*\n?/, '').trim();
    if (warnings) splice = `decode: ${warnings.split('\n')[0]!.slice(0, 60)}`;
  }
  return { headers, splice, ssim: await ssimAgainstRaw(job, ts), maxSegKbps, maxVideoKbps };
}

function videoBytes(ts: Buffer): number {
  // Every packet but PID 0, the PMT and audio: the replacement is video only (plus PSI).
  let n = 0;
  for (let o = 0; o + 188 <= ts.length; o += 188) {
    const pid = ((ts[o + 1]! & 0x1f) << 8) | ts[o + 2]!;
    if (pid === 0x100) n += 188;
  }
  return n;
}

/** The template's own encode of the same (un-overlaid) frames, against its mezzanine: the "static" SSIM. */
async function staticSsim(job: Job): Promise<number> {
  const vals: number[] = [];
  for (const s of job.segs) {
    const raw = await rawFrames(job.plan, s);
    const seg = path.join(work, 'static.ts');
    writeFileSync(seg, (await storage.get(s.key))!);
    const { stderr } = await timedFfmpeg(['-i', seg, ...rawInputArgs(job.plan, raw), '-lavfi', '[0:v]setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS[b];[a][b]ssim', '-f', 'null', '-']);
    vals.push(Number(/SSIM .*All:([\d.]+)/.exec(stderr)?.[1]) * s.frames);
  }
  return vals.reduce((a, b) => a + b, 0) / job.frames;
}

interface Row {
  template: string;
  variant: string;
  preset: string;
  x264: string;
  cpuPerFrameMs: number;
  wallPerFrameMs: number;
  fps: number;
  cpuRatio: number;
  quality: Quality;
  cpuRuns: number[];
}

async function benchTemplate(id: string): Promise<{ rows: Row[]; staticSsim: number; cap: number; frames: number; size: string }> {
  const plan = await prepareTemplate(path.join(PROJECT_ROOT, 'templates', id), storage, { log: (m) => console.error(m) });
  const segs = plan.segments.filter((s) => s.kind === 'dynamic' && s.mezzanine).slice(0, Number(opt.segments));
  for (const s of segs) await rawFrames(plan, s); // expanded once, and checked to hold exactly its frames
  const raw = path.join(work, `${id}.yuv`);
  await composite(plan, segs, raw);
  const job: Job = { plan, segs, raw, frames: segs.reduce((n, s) => n + s.frames, 0) };
  const variants: Variant[] = [...VARIANTS];
  if (!opt['no-presets']) {
    // The template-side choice: a template prepared with another preset, encoded as today and with the adopted overrides.
    for (const preset of ['superfast', 'veryfast', 'faster']) {
      if (preset !== plan.encoder.preset) variants.push({ name: `template preset ${preset}`, preset });
      const adopted = personalX264Params(preset);
      variants.push({ name: `template preset ${preset} + adopted`, preset, x264: adopted ?? undefined });
    }
  }
  const timed = variants.filter((v) => !v.control);
  const cpu = new Map<string, Timing[]>();
  const outs = new Map<string, string>();
  for (let r = 0; r < REPS; r++) {
    // Interleaved, and the order rotated each repetition so no variant always follows the same neighbour.
    const order = timed.map((_, i) => timed[(i + r) % timed.length]!);
    for (const v of order) {
      const out = path.join(work, `${id}-${timed.indexOf(v)}.ts`);
      const t = await timedFfmpeg(encodeArgs(job, v, out));
      (cpu.get(v.name) ?? cpu.set(v.name, []).get(v.name)!).push(t);
      outs.set(v.name, out);
      console.error(`${id} rep ${r + 1}/${REPS} ${v.name}: ${round(t.cpu, 2)} s cpu, ${round(t.wall, 2)} s wall`);
    }
  }
  const rows: Row[] = [];
  const baseCpu = median(cpu.get(VARIANTS[0]!.name)!.map((t) => t.cpu));
  for (const v of variants) {
    let out = outs.get(v.name);
    if (!out) {
      out = path.join(work, `${id}-control.ts`);
      await timedFfmpeg(encodeArgs(job, v, out));
    }
    // Header identity is against the template of that preset: its own encode of these frames.
    let quality = await checkQuality(job, v, out);
    if (v.preset && v.preset !== plan.encoder.preset) {
      const ref = outs.get(`template preset ${v.preset}`) ?? out;
      const why = parameterSetMismatch(readFileSync(ref).subarray(0, 188 * 400), readFileSync(out).subarray(0, 188 * 400));
      quality = { ...quality, headers: why ? why.slice(0, 40) : 'identical (to that preset\'s template)', splice: quality.splice };
    }
    const runs = cpu.get(v.name) ?? [];
    const cpuMed = median(runs.map((t) => t.cpu));
    const wallMed = median(runs.map((t) => t.wall));
    rows.push({
      template: id,
      variant: v.name,
      preset: v.preset ?? plan.encoder.preset,
      x264: v.x264 ?? '',
      cpuPerFrameMs: round((cpuMed / job.frames) * 1000, 2),
      wallPerFrameMs: round((wallMed / job.frames) * 1000, 2),
      fps: round(job.frames / cpuMed, 1),
      cpuRatio: round(cpuMed / baseCpu, 3),
      quality: { ...quality, ssim: round(quality.ssim, 5), maxSegKbps: Math.round(quality.maxSegKbps), maxVideoKbps: Math.round(quality.maxVideoKbps) },
      cpuRuns: runs.map((t) => t.cpu),
    });
  }
  rmSync(raw, { force: true });
  return { rows, staticSsim: round(await staticSsim(job), 5), cap: plan.encoder.maxrateKbps, frames: job.frames, size: `${plan.width}×${plan.height}` };
}

const started = new Date();
const results = [];
for (const id of opt.templates!.split(',')) {
  const r = await benchTemplate(id);
  results.push({ id, ...r });
  console.log(`\n${id} (${r.size}, ${r.frames} personalized frames, preset ${r.rows[0]!.preset}, cap ${r.cap} kb/s video) — static SSIM ${r.staticSsim}`);
  console.log('| variant | x264 overrides | CPU ms/frame (median) | frames per CPU-s | × today | wall ms/frame | SPS/PPS | splice + decode | SSIM | Δ vs static | max seg kb/s (video) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of r.rows) {
    const q = row.quality;
    console.log(`| ${row.variant} | ${row.x264 ? '`' + row.x264 + '`' : ''} | ${Number.isFinite(row.cpuPerFrameMs) ? row.cpuPerFrameMs : '–'} | ${Number.isFinite(row.fps) ? row.fps : '–'} | ${Number.isFinite(row.cpuRatio) ? row.cpuRatio : '–'} | ${Number.isFinite(row.wallPerFrameMs) ? row.wallPerFrameMs : '–'} | ${q.headers} | ${q.splice} | ${q.ssim} | ${round(q.ssim - r.staticSsim, 4)} | ${q.maxSegKbps} (${q.maxVideoKbps}) |`);
  }
}
const file = path.join(PROJECT_ROOT, 'bench/results', `encode-${started.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ started, ffmpeg: await ffmpegVersion(), load: os.loadavg(), reps: REPS, results }, null, 2));
console.log(`\nJSON: ${path.relative(PROJECT_ROOT, file)}`);
rmSync(work, { recursive: true, force: true });
