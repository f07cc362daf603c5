// Issue 11 "What must show": S3-backed render time against local storage, and the
// mezzanine cache's hit against its miss, on the bundled templates (energy-savings
// 720p, phone-plan 1080×1920) with the compiled API + worker as separate processes.
//   npm run build && npx tsx bench/storage.ts [--quick] [--reps 5] [--delay-ms 5] [--templates energy-savings,phone-plan]
//   (or: npm run bench -- --only storage [--quick])
//
// One run, three services side by side, each its own API + worker + embedded Redis:
//   local       KASANE_STORAGE_DIR (a folder)
//   s3          s3rver on loopback (its own process)
//   s3+latency  the same bucket through a proxy delaying every chunk by --delay-ms each way
// Renders go one at a time, interleaved local, s3, s3+latency, local, …, distinct data each
// time (nothing reused); each variant's worker cache is warm (one warm-up render first).
// Then per variant: the worker restarted on an EMPTY cache folder (miss: every mezzanine
// expanded from its lossless copy, downloaded first on S3) then the same worker again (hit),
// alternating. Prepared versions are content-addressed and kept in bench/.cache/issue11.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { loadPlan, packageFiles } from '../src/templates/prepare.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';
import type { TemplatePlan } from '../src/templates/plan.ts';
import { expandMezzanine, rawFrameBytes } from '../src/video/mezzanine.ts';
import { ffmpegVersion } from '../src/video/ffmpeg.ts';
import { startKasane, type Proc } from './lib/procs.ts';
import { writeResult } from './lib/service.ts';
import { median, round, sleep } from './lib/stats.ts';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    'delay-ms': { type: 'string', default: '5' },
    templates: { type: 'string', default: 'energy-savings,phone-plan' },
  },
});
const QUICK = opt.quick!;
const REPS = Number(opt.reps ?? (QUICK ? 2 : 5));
const MISS_REPS = QUICK ? 1 : 2;
const DELAY = Number(opt['delay-ms']);
const TEMPLATES = opt.templates!.split(',');
const BUCKET = 'kasane-bench';

const KEEP = path.join(PROJECT_ROOT, 'bench/.cache/issue11');
const LOCAL_ROOT = path.join(KEEP, 'local');
const S3_DIR = path.join(KEEP, 's3rver');
const TMP = path.join(os.tmpdir(), `kasane-bench-storage-${process.pid}`);
mkdirSync(LOCAL_ROOT, { recursive: true });
mkdirSync(S3_DIR, { recursive: true });
mkdirSync(path.join(TMP, 'no-bundled'), { recursive: true });
const log = (m: string) => console.error(`[storage ${new Date().toISOString().slice(11, 19)}] ${m}`);

// ---------------------------------------------------------------- CPU accounting (/proc)
const TICK_MS = 10; // CLK_TCK 100
/** Own + reaped children's CPU ms of a process (a worker's ffmpeg children are reaped by it). */
function cpuMs(pid: number | 'self'): { own: number; children: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ').map(Number);
  return { own: (x[11]! + x[12]!) * TICK_MS, children: (x[13]! + x[14]!) * TICK_MS };
}
const totalCpu = (pid: number | 'self') => {
  const c = cpuMs(pid);
  return c.own + c.children;
};

// ---------------------------------------------------------------- s3rver (own process)
interface S3Counts {
  counts: Record<string, number>;
  bytes: { in: number; out: number };
}
const s3proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/lib/s3rver-process.ts'), JSON.stringify({ dir: S3_DIR, bucket: BUCKET, delayMs: DELAY })], {
  cwd: PROJECT_ROOT,
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
const s3Ports = await new Promise<{ port: number; proxyPort: number }>((resolve, reject) => {
  let out = '';
  s3proc.stdout!.on('data', (b: Buffer) => {
    out += b;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
  });
  s3proc.once('exit', (c) => reject(new Error(`s3rver exited ${c}`)));
});
const s3Counts = () =>
  new Promise<S3Counts>((resolve) => {
    s3proc.once('message', (m) => resolve(m as S3Counts));
    s3proc.send('counts');
  });
const s3Env = (port: number) => ({
  KASANE_STORAGE: `s3://${BUCKET}/kasane`,
  KASANE_S3_ENDPOINT: `http://127.0.0.1:${port}`,
  KASANE_S3_REGION: 'us-east-1',
  KASANE_S3_FORCE_PATH_STYLE: '1',
  KASANE_S3_ACCESS_KEY_ID: 'S3RVER', // s3rver's fixed credentials
  KASANE_S3_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

// ---------------------------------------------------------------- the services
interface Service {
  name: string;
  s3: boolean;
  base: string;
  env: Record<string, string>;
  api: Proc;
  worker?: Proc;
  auth: string;
  cacheN: number;
}
const variants: Array<{ name: string; s3: boolean; env: Record<string, string> }> = [
  { name: 'local', s3: false, env: { KASANE_STORAGE_DIR: LOCAL_ROOT } },
  { name: 's3', s3: true, env: s3Env(s3Ports.port) },
  ...(DELAY > 0 ? [{ name: `s3+${DELAY}ms`, s3: true, env: s3Env(s3Ports.proxyPort) }] : []),
];
const services: Service[] = [];

async function startService(v: (typeof variants)[number]): Promise<Service> {
  const varDir = path.join(TMP, v.name.replace(/\W/g, '_'));
  mkdirSync(varDir, { recursive: true });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, KASANE_VAR_DIR: varDir, LOG_LEVEL: 'warn',
    KASANE_TEMPLATES_DIR: path.join(TMP, 'no-bundled'),
    // Normal priority: under the default idle class, other helpers' load on this shared
    // machine would starve the encoder and swamp the figures with their noise.
    KASANE_FFMPEG_SCHED: 'normal',
    KASANE_WORKER_CONCURRENCY: '1',
    ...v.env,
  };
  const api = startKasane('api', env);
  for (const end = Date.now() + 60_000; !(await fetch(`${base}/healthz`).then((r) => r.ok, () => false)); ) {
    if (Date.now() > end) throw new Error(`${v.name}: API did not start`);
    await sleep(100);
  }
  const s: Service = { ...v, base, env, api, auth: `Bearer ${readFileSync(path.join(varDir, 'api-key'), 'utf8').trim()}`, cacheN: 0 };
  await restartWorker(s);
  return s;
}

/** A worker on a fresh, empty cache folder (a machine that has never expanded these mezzanines). */
async function restartWorker(s: Service): Promise<void> {
  await s.worker?.stop();
  const cache = path.join(s.env.KASANE_VAR_DIR!, `cache-${++s.cacheN}`);
  rmSync(path.join(s.env.KASANE_VAR_DIR!, `cache-${s.cacheN - 1}`), { recursive: true, force: true });
  s.worker = startKasane('worker', { ...s.env, KASANE_CACHE_DIR: cache });
  await sleep(2000); // fonts registered, BullMQ connected
}
const cacheDir = (s: Service) => path.join(s.env.KASANE_VAR_DIR!, `cache-${s.cacheN}`, 'files');

async function upload(s: Service, id: string): Promise<{ id: string; version: string }> {
  const dir = path.join(PROJECT_ROOT, 'templates', id);
  const zip = await zipFiles((await packageFiles(dir)).map((name) => ({ name, data: readFileSync(path.join(dir, name)) })));
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(zip)]), 'p.zip');
  const t = performance.now();
  const r = await fetch(`${s.base}/v1/templates?wait=true&activate=true`, { method: 'POST', headers: { authorization: s.auth }, body: form });
  const body = (await r.json()) as { template?: string; id?: string; version: string };
  if (!r.ok) throw new Error(`${s.name} upload ${id}: ${r.status} ${JSON.stringify(body)}`);
  log(`${s.name}: ${id} ${body.version} ready in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return { id, version: body.version };
}

// ---------------------------------------------------------------- one render, measured
let n = 0;
/** Distinct data every time, in every field a layer draws: no segment is ever shared. */
function person(template: string): Record<string, unknown> {
  n++;
  const name = `${['山田', '佐藤', '鈴木', '髙橋', '田中'][n % 5]} ${process.pid % 1000}-${n}`;
  if (template === 'energy-savings') return { name, savings: 1000 + n * 37 };
  return {
    name,
    items: [
      { name: `かさねフォン ${n}（128GB）`, price: 79800 + n, badge: '人気No.1' },
      { name: `ワイヤレスイヤホン ${n}`, price: 12980 + n, badge: 'セット割' },
      { name: `急速充電器 ${n}W`, price: 3980 + n, badge: '10%還元' },
    ],
    before: [8980, 9120, 8760, 9340, 8890, 9050].map((x, i) => x + ((n * 7 + i) % 500)),
    after: [4180, 4180, 4290, 4180, 4400, 4180].map((x, i) => x + ((n * 3 + i) % 300)),
    savings: 57460 + n,
  };
}

interface RenderRun {
  variant: string;
  template: string;
  /** accept (client, before POST) → finished_at */
  wallMs: number;
  /** the worker's started_at → finished_at */
  workerMs: number;
  /** the worker process + its ffmpeg children, over the render */
  workerCpuMs: number;
  /** s3rver's CPU over the render (S3 variants) */
  s3rverCpuMs?: number;
  /** started_at → each personalized segment ready */
  segmentReadyMs: Record<number, number>;
  requests?: Record<string, number>;
  load1: number;
}

async function render(s: Service, template: string): Promise<RenderRun> {
  const headers = { authorization: s.auth, 'content-type': 'application/json' };
  const w0 = totalCpu(s.worker!.pid);
  const c0 = s.s3 ? await s3Counts() : undefined;
  const s0 = s.s3 ? totalCpu(s3proc.pid!) : 0;
  const at = Date.now();
  const r = await fetch(`${s.base}/v1/renders`, { method: 'POST', headers, body: JSON.stringify({ template, data: person(template), mode: 'eager' }) });
  const body = (await r.json()) as { id: string };
  if (r.status !== 201) throw new Error(`${s.name} POST ${r.status}: ${JSON.stringify(body)}`);
  let st: any;
  for (;;) {
    st = await (await fetch(`${s.base}/v1/renders/${body.id}`, { headers })).json();
    if (st.state === 'done') break;
    if (st.state === 'failed') throw new Error(`${s.name} render failed: ${st.error}`);
    await sleep(20);
  }
  await sleep(50); // the worker reaps its last ffmpeg child
  const c1 = s.s3 ? await s3Counts() : undefined;
  const started = Date.parse(st.started_at);
  const finished = Date.parse(st.finished_at);
  const segmentReadyMs: Record<number, number> = {};
  for (const seg of st.segments as Array<{ index: number; kind: string; ready_at?: string; shared?: boolean }>) {
    if (seg.kind !== 'dynamic') continue;
    if (seg.shared) throw new Error(`${s.name}: segment ${seg.index} was shared: the data must be distinct`);
    segmentReadyMs[seg.index] = Date.parse(seg.ready_at!) - started;
  }
  return {
    variant: s.name,
    template,
    wallMs: finished - at,
    workerMs: finished - started,
    workerCpuMs: totalCpu(s.worker!.pid) - w0,
    ...(s.s3 ? { s3rverCpuMs: totalCpu(s3proc.pid!) - s0 } : {}),
    segmentReadyMs,
    ...(c0 && c1 ? { requests: Object.fromEntries(Object.entries(c1.counts).map(([k, v]) => [k, v - (c0.counts[k] ?? 0)]).filter(([, v]) => (v as number) > 0)) } : {}),
    load1: round(os.loadavg()[0]!, 2),
  };
}

const dirBytes = (d: string) => {
  try {
    return readdirSync(d).reduce((a, f) => a + statSync(path.join(d, f)).size, 0);
  } catch {
    return 0;
  }
};

// ---------------------------------------------------------------- the run
const stopAll = async () => {
  for (const s of services) {
    await s.worker?.stop();
    await s.api.stop();
  }
  s3proc.kill('SIGTERM');
  rmSync(TMP, { recursive: true, force: true });
};
process.on('exit', () => {
  for (const s of services) for (const p of [s.api, s.worker]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
  if (s3proc.exitCode === null) s3proc.kill('SIGKILL');
});

try {
  const loadStart = os.loadavg().map((x) => round(x, 2));
  for (const v of variants) services.push(await startService(v));
  log(`services up (${services.map((s) => s.name).join(', ')}); load average ${loadStart.join(' ')}`);
  // Prepared once per storage: the S3 variants share one bucket, so the second finds it prepared.
  const plans: Record<string, TemplatePlan> = {};
  const local = new LocalStorage(LOCAL_ROOT);
  for (const id of TEMPLATES) {
    const versions = new Set<string>();
    for (const s of services) versions.add((await upload(s, id)).version);
    if (versions.size !== 1) throw new Error(`${id}: versions differ between storages: ${[...versions].join(', ')}`);
    plans[id] = (await loadPlan(local, id, [...versions][0]!))!;
  }

  // ---------------------------------------------------------------- local vs S3, warm caches
  log('warm-up: one render per variant and template (fills each worker cache)');
  for (const id of TEMPLATES) for (const s of services) await render(s, id);
  const ab: RenderRun[] = [];
  for (const id of TEMPLATES) {
    for (let i = 0; i < REPS; i++) {
      for (const s of services) {
        const r = await render(s, id);
        ab.push(r);
        log(`${id} ${s.name}: wall ${r.wallMs} ms, worker ${r.workerMs} ms, cpu ${r.workerCpuMs} ms${r.requests ? `, ${JSON.stringify(r.requests)}` : ''} (load ${r.load1})`);
      }
    }
  }

  // ---------------------------------------------------------------- cache miss vs hit
  const cache: Array<RenderRun & { cache: 'miss' | 'hit'; cacheBytes: number }> = [];
  for (const id of TEMPLATES) {
    for (let i = 0; i < MISS_REPS; i++) {
      for (const s of services) {
        await restartWorker(s);
        const miss = await render(s, id);
        const missBytes = dirBytes(cacheDir(s));
        const hit = await render(s, id);
        cache.push({ ...miss, cache: 'miss', cacheBytes: missBytes }, { ...hit, cache: 'hit', cacheBytes: dirBytes(cacheDir(s)) });
        log(`${id} ${s.name}: miss ${miss.workerMs} ms (cpu ${miss.workerCpuMs}), hit ${hit.workerMs} ms (cpu ${hit.workerCpuMs}); cache ${(missBytes / 2 ** 20).toFixed(0)} MB`);
      }
    }
  }

  // ---------------------------------------------------------------- expand cost per frame (no worker: ffmpeg alone)
  const expand: Array<{ template: string; segment: number; frames: number; storedBytes: number; rawBytes: number; wallMs: number; cpuMs: number }> = [];
  for (const id of TEMPLATES) {
    const plan = plans[id]!;
    for (const seg of plan.segments.filter((x) => x.kind === 'dynamic')) {
      const src = await local.cached(seg.mezzanine!);
      const out = path.join(TMP, 'expand.yuv');
      const c0 = cpuMs('self').children;
      const t = performance.now();
      await expandMezzanine(src!.path, out);
      expand.push({ template: id, segment: seg.index, frames: seg.frames, storedBytes: statSync(src!.path).size, rawBytes: statSync(out).size, wallMs: round(performance.now() - t, 0), cpuMs: cpuMs('self').children - c0 });
      src!.release();
      rmSync(out, { force: true });
    }
  }

  // ---------------------------------------------------------------- summary
  const m = (xs: number[]) => round(median(xs), 0);
  const summary: Record<string, unknown> = {};
  const rows: string[] = [];
  for (const id of TEMPLATES) {
    const plan = plans[id]!;
    const dyn = plan.segments.filter((x) => x.kind === 'dynamic');
    const frames = dyn.reduce((a, x) => a + x.frames, 0);
    const rawBytes = frames * rawFrameBytes(plan);
    const storedBytes = expand.filter((e) => e.template === id).reduce((a, e) => a + e.storedBytes, 0);
    const of = (v: string) => ab.filter((r) => r.template === id && r.variant === v);
    const base = of('local');
    const per: Record<string, unknown> = {};
    for (const s of services) {
      const runs = of(s.name);
      const reqs: Record<string, number> = {};
      for (const r of runs) for (const [k, v] of Object.entries(r.requests ?? {})) reqs[k] = (reqs[k] ?? 0) + v / runs.length;
      per[s.name] = {
        wall_ms: m(runs.map((r) => r.wallMs)),
        worker_ms: m(runs.map((r) => r.workerMs)),
        worker_cpu_ms: m(runs.map((r) => r.workerCpuMs)),
        ...(s.s3 ? { s3rver_cpu_ms: m(runs.map((r) => r.s3rverCpuMs!)), requests_per_render: Object.fromEntries(Object.entries(reqs).map(([k, v]) => [k, round(v, 1)])) } : {}),
        wall_over_local: round(median(runs.map((r) => r.wallMs)) / median(base.map((r) => r.wallMs))),
        // Each render against the local one just before it (same moment's load): steadier on a shared machine.
        wall_over_local_paired: round(median(runs.map((r, k) => r.wallMs / base[k]!.wallMs))),
        worker_cpu_over_local: round(median(runs.map((r) => r.workerCpuMs)) / median(base.map((r) => r.workerCpuMs))),
      };
    }
    const cacheOf = (v: string, k: 'miss' | 'hit') => cache.filter((r) => r.template === id && r.variant === v && r.cache === k);
    const cacheSummary: Record<string, unknown> = {};
    for (const s of services) {
      const miss = cacheOf(s.name, 'miss');
      const hit = cacheOf(s.name, 'hit');
      cacheSummary[s.name] = {
        miss_worker_ms: m(miss.map((r) => r.workerMs)),
        hit_worker_ms: m(hit.map((r) => r.workerMs)),
        miss_cpu_ms: m(miss.map((r) => r.workerCpuMs)),
        hit_cpu_ms: m(hit.map((r) => r.workerCpuMs)),
        per_segment_ready_ms: dyn.map((x) => ({ segment: x.index, frames: x.frames, miss: m(miss.map((r) => r.segmentReadyMs[x.index]!)), hit: m(hit.map((r) => r.segmentReadyMs[x.index]!)) })),
        cache_bytes_after_miss: miss[0]?.cacheBytes,
      };
    }
    const ex = expand.filter((e) => e.template === id);
    summary[id] = {
      version: plan.version,
      size: `${plan.width}x${plan.height}`,
      personalized_segments: dyn.length,
      personalized_frames: frames,
      raw_mezzanine_bytes: rawBytes,
      stored_lossless_bytes: storedBytes,
      storage: per,
      cache: cacheSummary,
      expand_per_frame: { wall_ms: round(ex.reduce((a, e) => a + e.wallMs, 0) / frames, 2), cpu_ms: round(ex.reduce((a, e) => a + e.cpuMs, 0) / frames, 2), all_segments_wall_ms: ex.reduce((a, e) => a + e.wallMs, 0) },
    };
    for (const s of services) {
      const p = per[s.name] as any;
      rows.push(`| ${id} | ${s.name} | ${p.wall_ms} | ${p.worker_ms} | ${p.worker_cpu_ms} | ${p.wall_over_local}× (paired ${p.wall_over_local_paired}×) | ${p.worker_cpu_over_local}× | ${p.s3rver_cpu_ms ?? '–'} | ${p.requests_per_render ? Object.entries(p.requests_per_render).map(([k, v]) => `${k} ${v}`).join(', ') : '–'} |`);
    }
  }
  const table = [
    '| template | storage | accept → done ms | worker ms | worker CPU ms | wall ÷ local | CPU ÷ local | s3rver CPU ms | S3 requests / render |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  const cacheRows = TEMPLATES.flatMap((id) =>
    services.map((s) => {
      const c = (summary[id] as any).cache[s.name];
      const sum = summary[id] as any;
      return `| ${id} | ${s.name} | ${c.miss_worker_ms} / ${c.hit_worker_ms} | ${c.miss_cpu_ms} / ${c.hit_cpu_ms} | ${c.per_segment_ready_ms.map((x: any) => `${x.segment}: ${x.miss} / ${x.hit}`).join(', ')} | ${sum.expand_per_frame.wall_ms} / ${sum.expand_per_frame.cpu_ms} | ${(c.cache_bytes_after_miss / 2 ** 20).toFixed(0)} MB of ${(sum.raw_mezzanine_bytes / 2 ** 20).toFixed(0)} MB raw (stored ${(sum.stored_lossless_bytes / 2 ** 20).toFixed(1)} MB) |`;
    }),
  );
  const cacheTable = [
    '| template | storage | render miss / hit ms | worker CPU miss / hit ms | segment ready after start, miss / hit ms | expand per frame wall / CPU ms | cache on disk after the miss |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...cacheRows,
  ].join('\n');
  const result = {
    date: new Date().toISOString(),
    quick: QUICK,
    reps: REPS,
    miss_reps: MISS_REPS,
    delay_ms_each_way: DELAY,
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    ffmpeg: await ffmpegVersion(),
    load_average_start: loadStart,
    load_average_end: os.loadavg().map((x) => round(x, 2)),
    summary,
    table,
    cache_table: cacheTable,
    runs: { ab, cache, expand },
  };
  console.log(`\n${result.machine}; load average ${loadStart.join(' ')} → ${result.load_average_end.join(' ')}\n\n${table}\n\n${cacheTable}\n`);
  writeResult(`storage${QUICK ? '-quick' : ''}`, result);
} finally {
  await stopAll();
}
