// `npm run bench`: every performance figure of issue 4 in one run on one machine,
// printed as one table and written to bench/results/bench-<date>.json.
//
// The API and the worker run as separate `kasane` processes (embedded Redis,
// local storage); this process is only the client and the stopwatch. Templates
// are uploaded through the API like an operator would (bench/fixtures.ts).
// Options: --quick (fewer repetitions, shorter load; for trying changes, not for the table),
// --only encode|campaign|storage|fallback|fidelity (bench/encode.ts, campaign.ts, storage.ts, fallback-viewers.ts, fidelity.ts alone; issues 11, 13)
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, loadConfig } from '../src/config/index.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { loadPlan, packageFiles } from '../src/templates/prepare.ts';
import type { TemplatePlan } from '../src/templates/plan.ts';
import { drawContext, overlaysFor, registerPackageFonts } from '../src/render/personalize.ts';
import { ensureFonts } from '../src/overlays/index.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';
import { ffmpegVersion } from '../src/video/ffmpeg.ts';
import { benchItemSet, makeBenchTemplates } from './fixtures.ts';
import { decodeToRaw, floorEncode, fullRerender, ssimPerFrame } from './lib/baselines.ts';
import type { LoadResult } from './lib/load.ts';
import { spawn, spawnSync } from 'node:child_process';
import { peakRssMb, startKasane, treeRssSampler, type Proc } from './lib/procs.ts';
import { median, pct, round, sleep } from './lib/stats.ts';

const { values: opt } = parseArgs({ options: { quick: { type: 'boolean', default: false }, rps: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '30' }, only: { type: 'string' } }, strict: false });
// `--only encode|campaign|storage|fallback`: one scenario on its own (its own options after `--`, e.g.
// `npm run bench -- --only campaign -- --workers 1`, `--only storage -- --quick`), instead of the whole table.
// Scenario → its script under bench/.
const SCENARIOS: Record<string, string> = { encode: 'encode.ts', campaign: 'campaign.ts', storage: 'storage.ts', fallback: 'fallback-viewers.ts', fidelity: 'fidelity.ts' };
if (typeof opt.only === 'string') {
  if (!Object.hasOwn(SCENARIOS, opt.only)) throw new Error(`--only: one of ${Object.keys(SCENARIOS).join(', ')}, not ${opt.only}`);
  const rest = process.argv.slice(process.argv.indexOf('--', process.argv.indexOf('--only')) + 1 || process.argv.length);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', SCENARIOS[opt.only]!), ...rest], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const QUICK = opt.quick!;
const REPS = QUICK ? 2 : 5;

const CACHE = path.join(PROJECT_ROOT, 'bench/.cache');
// Prepared template versions are content-addressed and kept between runs (the 5-minute
// one takes a while); everything else (Redis, secrets, personal segments) is fresh.
const STORAGE = path.join(CACHE, 'storage');
const varDir = path.join(os.tmpdir(), `kasane-bench-${process.pid}`);
const work = path.join(varDir, 'work');
mkdirSync(work, { recursive: true });
for (const t of safeReaddir(path.join(STORAGE, 'templates'))) {
  for (const v of safeReaddir(path.join(STORAGE, 'templates', t))) rmSync(path.join(STORAGE, 'templates', t, v, 'p'), { recursive: true, force: true });
}
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const env = { PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, KASANE_VAR_DIR: varDir, KASANE_STORAGE_DIR: STORAGE, LOG_LEVEL: 'warn' };
const storage = new LocalStorage(STORAGE);

function safeReaddir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

/** Runs bench/load-process.ts in its own process and returns its result. */
function runLoadProcess(o: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/load-process.ts'), JSON.stringify(o)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}

const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

let api: Proc | undefined;
let worker: Proc | undefined;
const startWorker = async (concurrency: number) => {
  await worker?.stop();
  worker = startKasane('worker', { ...env, KASANE_WORKER_CONCURRENCY: String(concurrency) });
  await sleep(1500); // fonts registered, BullMQ connected
};

process.on('exit', () => {
  for (const p of [api, worker]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
});

try {
  const fixtures = await makeBenchTemplates(path.join(CACHE, 'templates'));
  api = startKasane('api', env);
  for (let t0 = Date.now(); ; ) {
    const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() - t0 > 60_000) throw new Error('API did not start');
    await sleep(100);
  }
  const key = readFileSync(path.join(varDir, 'api-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  await startWorker(2);

  // ---------------------------------------------------------------- templates
  const upload = async (dir: string) => {
    const files = await packageFiles(dir);
    const zip = await zipFiles(files.map((name) => ({ name, data: readFileSync(path.join(dir, name)) })));
    const form = new FormData();
    form.append('package', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'package.zip');
    const t = performance.now();
    const r = await fetch(`${base}/v1/templates?wait=true&activate=true`, { method: 'POST', headers: { authorization: headers.authorization }, body: form });
    const body = (await r.json()) as any;
    if (!r.ok) throw new Error(`upload ${dir}: ${r.status} ${JSON.stringify(body)}`);
    const plan = (await loadPlan(storage, body.template ?? body.id, body.version))!;
    log(`${plan.templateId} ${plan.version} ready in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    return plan;
  };
  log('uploading benchmark templates (the 5-minute one is prepared once and cached)');
  const ref = await upload(fixtures.ref);
  const first = await upload(fixtures.first);
  const ref5 = await upload(fixtures.ref5min);
  const itemsOnly = await upload(fixtures.itemsOnly);

  // ---------------------------------------------------------------- client helpers
  let n = 0;
  const itemSet = benchItemSet;
  const person = () => {
    n++;
    return { name: `${['山田', '佐藤', '鈴木', '髙橋', '田中'][n % 5]} ${n}`, amount: 1000 + n * 37, items: itemSet(n) };
  };
  const post = async (template: string, data: unknown, mode: 'eager' | 'lazy' = 'eager') => {
    const at = Date.now();
    const t = performance.now();
    const r = await fetch(`${base}/v1/renders`, { method: 'POST', headers, body: JSON.stringify({ template, data, mode }) });
    const body = (await r.json()) as any;
    if (r.status !== 201) throw new Error(`POST ${r.status}: ${JSON.stringify(body)}`);
    return { at, t, ms: performance.now() - t, body };
  };
  const status = async (id: string) => (await (await fetch(`${base}/v1/renders/${id}`, { headers })).json()) as any;
  const waitDone = async (id: string) => {
    for (;;) {
      const s = await status(id);
      if (s.state === 'done') return s;
      if (s.state === 'failed') throw new Error(`render failed: ${s.error}`);
      await sleep(20);
    }
  };
  const firstBytes = async (url: string, since: number) => {
    const r = await fetch(url);
    const reader = r.body!.getReader();
    await reader.read();
    const ms = performance.now() - since;
    while (!(await reader.read()).done);
    if (r.status !== 200) throw new Error(`${url} → ${r.status}`);
    return ms;
  };
  const segUrl = (playlist: string, i: number) => playlist.replace('index.m3u8', `${i}.ts`);
  const renderMs = (s: any) => Date.parse(s.finished_at) - Date.parse(s.started_at);
  const dynamicOf = (plan: TemplatePlan) => plan.segments.filter((s) => s.kind === 'dynamic');
  const segStartMs = (plan: TemplatePlan, i: number) => (plan.segments[i]!.startFrame * plan.fps.den * 1000) / plan.fps.num;
  /** For each dynamic segment: when a viewer starting at accept reaches it, minus when it was ready. */
  const margins = (plan: TemplatePlan, acceptedAt: number, s: any) =>
    dynamicOf(plan).map((seg) => segStartMs(plan, seg.index) - (Date.parse(s.segments[seg.index].ready_at) - acceptedAt));
  const idle = async () => {
    // Let the machine settle between measured phases.
    await sleep(1000);
  };

  // ---------------------------------------------------------------- 2. time to first frame
  log('time to first frame');
  const ttff = { staticFirst: [] as number[], staticFirstPersonal: [] as number[], personalFirst: [] as number[] };
  for (let i = 0; i < REPS; i++) {
    let a = await post(ref.templateId, person());
    ttff.staticFirst.push(await firstBytes(segUrl(a.body.playlist_url, 0), a.t));
    ttff.staticFirstPersonal.push(await firstBytes(segUrl(a.body.playlist_url, dynamicOf(ref)[0]!.index), a.t));
    await waitDone(a.body.id);
    await idle();
    a = await post(first.templateId, person());
    ttff.personalFirst.push(await firstBytes(segUrl(a.body.playlist_url, 0), a.t));
    await waitDone(a.body.id);
    await idle();
  }

  // ---------------------------------------------------------------- 3. just-in-time margin
  log('just-in-time margin: one viewer, then 8 at once');
  const jitOne: number[][] = [];
  for (let i = 0; i < REPS; i++) {
    const a = await post(ref.templateId, person());
    jitOne.push(margins(ref, a.at, await waitDone(a.body.id)));
    await idle();
  }
  const jit8: number[][] = [];
  {
    const accepted = await Promise.all(Array.from({ length: 8 }, () => post(ref.templateId, person())));
    // The viewers open their playlists at once, as eight people tapping a link would.
    await Promise.all(accepted.map((a) => fetch(a.body.playlist_url).then((r) => r.text())));
    for (const a of accepted) jit8.push(margins(ref, a.at, await waitDone(a.body.id)));
  }
  await idle();

  // ---------------------------------------------------------------- 4 + 5. render, floor, full re-render (interleaved)
  log('render vs floor vs full re-render, interleaved');
  ensureFonts();
  await registerPackageFonts(ref, storage);
  const ctx = drawContext(ref, storage, loadConfig({ ...process.env, ...env }).imageFetch);
  const overlaysOf = async (plan: TemplatePlan, data: Record<string, unknown>) =>
    (await Promise.all(dynamicOf(plan).map((s) => overlaysFor(plan, s, data, ctx)))).flat().filter((o, k, all) => all.findIndex((x) => x.layerId === o.layerId) === k);
  const cmp = { render: [] as number[], floor: [] as number[], full: [] as number[] };
  const refVideo = path.join(fixtures.ref, ref.manifest.video.file);
  let ssimSubject: { id: string; data: any; playlist: string } | undefined;
  for (let i = 0; i < REPS; i++) {
    const data = person();
    const a = await post(ref.templateId, data);
    const s = await waitDone(a.body.id);
    cmp.render.push(renderMs(s));
    ssimSubject ??= { id: a.body.id, data, playlist: a.body.playlist_url };
    // Floor input: this person's composited overlaid frames, decoded to raw (not timed).
    const segFiles = dynamicOf(ref).map((seg) => {
      const f = path.join(work, `p${seg.index}.ts`);
      writeFileSync(f, Buffer.alloc(0));
      return { seg, f };
    });
    for (const { seg, f } of segFiles) writeFileSync(f, Buffer.from(await (await fetch(segUrl(a.body.playlist_url, seg.index))).arrayBuffer()));
    const raw = path.join(work, 'floor.yuv');
    await decodeToRaw(segFiles.map((x) => x.f), raw);
    await idle();
    let t = performance.now();
    await floorEncode(ref, raw, dynamicOf(ref).map((s) => s.frames), path.join(work, 'floor.ts'));
    cmp.floor.push(performance.now() - t);
    rmSync(raw);
    await idle();
    t = performance.now();
    await fullRerender(ref, refVideo, await overlaysOf(ref, data), work, path.join(work, 'full.ts'));
    cmp.full.push(performance.now() - t);
    await idle();
  }

  // ---------------------------------------------------------------- 6. length scaling
  log('5-minute base: Kasane render and one full re-render');
  const len = { render5: [] as number[], full5: NaN };
  for (let i = 0; i < Math.max(2, REPS - 2); i++) {
    const a = await post(ref5.templateId, person());
    len.render5.push(renderMs(await waitDone(a.body.id)));
    await idle();
  }
  {
    const t = performance.now();
    await fullRerender(ref5, path.join(fixtures.ref5min, ref5.manifest.video.file), await overlaysOf(ref5, person()), work, path.join(work, 'full5.ts'));
    len.full5 = performance.now() - t;
  }
  await idle();

  // ---------------------------------------------------------------- 4. throughput at worker concurrency 1 and 2, with memory
  const throughput: Record<string, { videos: number; seconds: number; perMin: number; fullPerMin: number }> = {};
  let workerPeak = { node: NaN, tree: NaN };
  for (const c of [1, 2]) {
    log(`throughput, worker concurrency ${c}`);
    await startWorker(c);
    const videos = QUICK ? 4 : 12;
    const sampler = treeRssSampler(worker!.pid);
    const t = performance.now();
    const accepted = await Promise.all(Array.from({ length: videos }, () => post(ref.templateId, person())));
    for (const a of accepted) await waitDone(a.body.id);
    const sec = (performance.now() - t) / 1000;
    const tree = sampler.stop();
    if (c === 2) workerPeak = { node: peakRssMb(worker!.pid), tree };
    await idle();
    // The same number of full re-renders, `c` at a time.
    const fullVideos = QUICK ? 2 : 4;
    const tf = performance.now();
    const queue = Array.from({ length: fullVideos }, (_, k) => k);
    await Promise.all(
      Array.from({ length: c }, async (_, lane) => {
        while (queue.length) {
          const k = queue.shift()!;
          await fullRerender(ref, refVideo, await overlaysOf(ref, person()), work, path.join(work, `tp-${lane}-${k}.ts`));
        }
      }),
    );
    const fsec = (performance.now() - tf) / 1000;
    throughput[`c${c}`] = { videos, seconds: round(sec, 1), perMin: round((videos / sec) * 60, 1), fullPerMin: round((fullVideos / fsec) * 60, 1) };
    await idle();
  }

  // ---------------------------------------------------------------- content-addressed reuse
  log('1,000 renders, 20 distinct item sets');
  const reuse = { renders: QUICK ? 200 : 1000, itemSets: 20, encodes: 0, shared: 0, seconds: 0, storedSegments: 0 };
  {
    const t = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < reuse.renders; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, reuse.renders - i) }, (_, k) => post(itemsOnly.templateId, { name: `顧客${i + k}`, amount: 0, items: itemSet((i + k) % reuse.itemSets) })));
      ids.push(...batch.map((b) => b.body.id));
    }
    for (const id of ids) {
      const s = await waitDone(id);
      for (const seg of s.segments) {
        if (seg.kind !== 'dynamic') continue;
        if (seg.shared) reuse.shared++;
        else reuse.encodes++;
      }
    }
    reuse.seconds = round((performance.now() - t) / 1000, 1);
    reuse.storedSegments = safeReaddir(path.join(STORAGE, 'templates', itemsOnly.templateId, itemsOnly.version, 'p')).filter((f) => f.endsWith('.ts')).length;
  }
  await idle();

  // ---------------------------------------------------------------- 8. quality
  log('SSIM against the source, per segment');
  const quality = await (async () => {
    const s = ssimSubject!;
    const files = ref.segments.map((seg) => path.join(work, `q${seg.index}.ts`));
    for (const seg of ref.segments) writeFileSync(files[seg.index]!, Buffer.from(await (await fetch(segUrl(s.playlist, seg.index))).arrayBuffer()));
    const whole = path.join(work, 'whole.ts');
    writeFileSync(whole, Buffer.concat(files.map((f) => readFileSync(f))));
    const perFrame = await ssimPerFrame(ref, whole, refVideo, await overlaysOf(ref, s.data), work);
    if (perFrame.length !== ref.frameCount) throw new Error(`SSIM over ${perFrame.length} frames, expected ${ref.frameCount}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const framesOf = (kind: 'static' | 'dynamic') => ref.segments.filter((x) => x.kind === kind).flatMap((x) => perFrame.slice(x.startFrame, x.startFrame + x.frames));
    const kbps = (kind: 'static' | 'dynamic') =>
      Math.max(...ref.segments.filter((x) => x.kind === kind).map((x) => (statSync(files[x.index]!).size * 8) / x.duration / 1000));
    return {
      ssimStatic: round(mean(framesOf('static')), 4),
      ssimDynamic: round(mean(framesOf('dynamic')), 4),
      maxSegmentKbpsStatic: round(kbps('static'), 0),
      maxSegmentKbpsDynamic: round(kbps('dynamic'), 0),
      capKbps: ref.encoder.maxrateKbps + ref.encoder.audioBitrateKbps,
    };
  })();

  // ---------------------------------------------------------------- 1. accept latency at a fixed rate (last: it queues many renders)
  const rps = Number(opt.rps);
  const seconds = QUICK ? 10 : Number(opt.seconds);
  log(`accept latency: ${rps} req/s for ${seconds} s, eager, worker (concurrency 2) encoding`);
  // Give the worker a backlog first so it is encoding from the first request on.
  await Promise.all(Array.from({ length: 4 }, () => post(ref.templateId, person())));
  const load = await runLoadProcess({ url: `${base}/v1/renders`, headers, rps, seconds, warmupSeconds: 5, template: ref.templateId });
  const apiPeak = peakRssMb(api.pid);

  // ---------------------------------------------------------------- report
  const m = (xs: number[]) => median(xs);
  const renderMed = m(cmp.render);
  const floorMed = m(cmp.floor);
  const fullMed = m(cmp.full);
  const render5Med = m(len.render5);
  const minMargin = (runs: number[][]) => Math.min(...runs.flat());
  const result = {
    date: new Date().toISOString(),
    quick: QUICK,
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    ffmpeg: await ffmpegVersion(),
    reference: { template: ref.templateId, duration_s: ref.duration, size: `${ref.width}x${ref.height}`, fps: ref.fps.num / ref.fps.den, overlaid_frames: dynamicOf(ref).reduce((s, x) => s + x.frames, 0), frames: ref.frameCount, encoder: ref.encoder },
    accept: { rps_target: rps, seconds, sent: load.sent, ok: load.ok, errors: load.errors, achieved_rps: round(load.achievedRps, 0), p50_ms: round(pct(load.latenciesMs, 50)), p99_ms: round(pct(load.latenciesMs, 99)), max_ms: round(Math.max(...load.latenciesMs)), generator_max_lag_ms: round(load.maxSendLagMs), warmup_5s: { sent: load.warmup.sent, p99_ms: round(load.warmup.p99Ms), max_ms: round(load.warmup.maxMs) } },
    first_frame: {
      static_first_ms: round(m(ttff.staticFirst), 1),
      static_first_personalized_ms: round(m(ttff.staticFirstPersonal), 0),
      personalized_first_ms: round(m(ttff.personalFirst), 0),
      runs: ttff,
    },
    jit_margin: {
      per_segment_median_ms: dynamicOf(ref).map((seg, k) => ({ segment: seg.index, starts_at_s: segStartMs(ref, seg.index) / 1000, margin_ms: round(m(jitOne.map((r) => r[k]!)), 0) })),
      min_one_viewer_ms: round(minMargin(jitOne), 0),
      eight_viewers_per_segment_min_ms: dynamicOf(ref).map((seg, k) => ({ segment: seg.index, margin_ms: round(Math.min(...jit8.map((r) => r[k]!)), 0) })),
      min_eight_viewers_ms: round(minMargin(jit8), 0),
      late_segments_eight_viewers: jit8.flat().filter((x) => x < 0).length,
      worker_concurrency: 2,
      runs_one_viewer: jitOne,
      runs_eight_viewers: jit8,
    },
    render_vs_baselines: {
      render_ms: round(renderMed, 0),
      floor_ms: round(floorMed, 0),
      full_rerender_ms: round(fullMed, 0),
      render_over_floor: round(renderMed / floorMed),
      full_over_render: round(fullMed / renderMed),
      runs: cmp,
    },
    throughput,
    length_scaling: {
      render_30s_ms: round(renderMed, 0),
      render_5min_ms: round(render5Med, 0),
      ratio_5min_over_30s: round(render5Med / renderMed),
      full_rerender_5min_ms: round(len.full5, 0),
      full_over_render_5min: round(len.full5 / render5Med, 1),
      runs: len.render5,
    },
    reuse,
    memory: { api_peak_rss_mb: round(apiPeak, 0), worker_peak_rss_mb: round(workerPeak.node, 0), worker_with_ffmpeg_peak_rss_mb: round(workerPeak.tree, 0) },
    quality,
  };
  const r = result;
  const ok = (b: boolean) => (b ? 'met' : '**missed**');
  const c1 = throughput.c1!;
  const c2 = throughput.c2!;
  const rows: Array<[string, string, string, string]> = [
    ['1', `accept p50 / p99 at ${rps} req/s for ${seconds} s after 5 s warm-up (worker encoding)`, `${r.accept.p50_ms} / ${r.accept.p99_ms} ms (${r.accept.ok}/${r.accept.sent} ok, ${r.accept.achieved_rps} req/s sent)`, `p99 ≤ 10 ms: ${ok(r.accept.p99_ms <= 10 && r.accept.ok === r.accept.sent)}`],
    ['2', 'first frame, first segment static (segment 0 bytes)', `${r.first_frame.static_first_ms} ms`, `≤ 200 ms: ${ok(r.first_frame.static_first_ms <= 200)}`],
    ['2', 'first personalized bytes, same template (segment at 2 s)', `${r.first_frame.static_first_personalized_ms} ms`, ''],
    ['2', 'first frame, first segment personalized', `${r.first_frame.personalized_first_ms} ms`, `≤ 1.5 s: ${ok(r.first_frame.personalized_first_ms <= 1500)}`],
    ['3', 'JIT margin per dynamic segment, 1 viewer (median)', r.jit_margin.per_segment_median_ms.map((x) => `${x.starts_at_s}s: +${x.margin_ms} ms`).join(', '), `all > 0: ${ok(r.jit_margin.min_one_viewer_ms > 0)}`],
    ['3', 'JIT margin, 8 viewers at once (worst per segment)', r.jit_margin.eight_viewers_per_segment_min_ms.map((x) => `${x.margin_ms} ms`).join(', '), `all > 0: ${ok(r.jit_margin.min_eight_viewers_ms > 0)}`],
    ['4', 'videos / min, worker concurrency 1 (full re-render)', `${c1.perMin} (${c1.fullPerMin}) → ${round(c1.perMin / c1.fullPerMin)}×`, `≥ 1.8×: ${ok(c1.perMin / c1.fullPerMin >= 1.8)}`],
    ['4', 'videos / min, worker concurrency 2 (full re-render)', `${c2.perMin} (${c2.fullPerMin}) → ${round(c2.perMin / c2.fullPerMin)}×`, `≥ 1.8×: ${ok(c2.perMin / c2.fullPerMin >= 1.8)}`],
    ['5', 'render / floor / full re-render per video', `${r.render_vs_baselines.render_ms} / ${r.render_vs_baselines.floor_ms} / ${r.render_vs_baselines.full_rerender_ms} ms`, ''],
    ['5', 'render ÷ floor', `${r.render_vs_baselines.render_over_floor}×`, `≤ 1.25×: ${ok(r.render_vs_baselines.render_over_floor <= 1.25)}`],
    ['5', 'full re-render ÷ render (30 s)', `${r.render_vs_baselines.full_over_render}×`, `≥ 1.8× (ceiling ~2.1×): ${ok(r.render_vs_baselines.full_over_render >= 1.8)}`],
    ['6', '5-minute base: render ÷ 30 s render', `${r.length_scaling.render_5min_ms} ms → ${r.length_scaling.ratio_5min_over_30s}×`, `≤ 1.2×: ${ok(r.length_scaling.ratio_5min_over_30s <= 1.2)}`],
    ['6', '5-minute base: full re-render ÷ render', `${r.length_scaling.full_rerender_5min_ms} ms → ${r.length_scaling.full_over_render_5min}×`, `≥ 15×: ${ok(r.length_scaling.full_over_render_5min >= 15)}`],
    ['–', `${reuse.renders} renders, ${reuse.itemSets} item sets: items segments encoded`, `${reuse.encodes} (${reuse.shared} shared, ${reuse.storedSegments} stored, ${reuse.seconds} s)`, `≤ ${reuse.itemSets}: ${ok(reuse.encodes <= reuse.itemSets)}`],
    ['7', 'peak RSS: API / worker (c=2) / worker + ffmpeg', `${r.memory.api_peak_rss_mb} / ${r.memory.worker_peak_rss_mb} / ${r.memory.worker_with_ffmpeg_peak_rss_mb} MB`, `API ≤ 150, worker ≤ 400: ${ok(r.memory.api_peak_rss_mb <= 150 && r.memory.worker_peak_rss_mb <= 400)}`],
    ['8', 'SSIM static / dynamic segments', `${quality.ssimStatic} / ${quality.ssimDynamic}`, `within 0.005: ${ok(Math.abs(quality.ssimStatic - quality.ssimDynamic) <= 0.005)}`],
    ['8', 'max segment bitrate static / dynamic (cap: video + audio)', `${quality.maxSegmentKbpsStatic} / ${quality.maxSegmentKbpsDynamic} kb/s (${quality.capKbps})`, `inside cap: ${ok(quality.maxSegmentKbpsDynamic <= quality.capKbps * 1.1)}`],
  ];
  const table = ['| # | figure | measured | target |', '| --- | --- | --- | --- |', ...rows.map((x) => `| ${x.join(' | ')} |`)].join('\n');
  console.log(`\n${result.machine}\n${result.ffmpeg}\n\n${table}\n`);
  mkdirSync(path.join(PROJECT_ROOT, 'bench/results'), { recursive: true });
  const out = path.join(PROJECT_ROOT, 'bench/results', `bench-${result.date.replace(/[:.]/g, '-')}${QUICK ? '-quick' : ''}.json`);
  writeFileSync(out, JSON.stringify({ ...result, table }, null, 2));
  log(`written ${path.relative(PROJECT_ROOT, out)}`);
} finally {
  await worker?.stop();
  await api?.stop();
  rmSync(varDir, { recursive: true, force: true });
}
