// Core-engine figures, all measured in one run on one machine:
//   accept latency (p50/p99 over N POST /v1/renders, distinct data, worker running),
//   accept → first segment bytes (static) and → first personalized segment bytes,
//   total render time of the sample template next to a full single-pass re-render
//   of the same video with the same overlays and encoder settings.
// Usage: npx tsx bench/core.ts [--requests 2000] [--concurrency 16] [--renders 3] [--mode lazy|eager]
// (eager: every accepted render is queued and the worker renders while the load runs)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, PROJECT_ROOT } from '../src/config/index.ts';
import { LocalStorage } from '../src/storage/storage.ts';
import { loadPlan } from '../src/templates/prepare.ts';
import { drawContext, overlaysFor } from '../src/render/personalize.ts';
import { runFfmpeg } from '../src/render/ffmpeg.ts';
import { audioEncoderArgs, forceKeyframesExpr, fpsValue, videoEncoderArgs } from '../src/render/encoder.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' }, renders: { type: 'string', default: '3' }, mode: { type: 'string', default: 'lazy' } } });
const MODE = values.mode === 'eager' ? 'eager' : 'lazy';
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const RENDERS = Number(values.renders);
const TEMPLATE = 'energy-savings';
const port = 20000 + Math.floor(Math.random() * 20000);
const varDir = mkdtempSync(path.join(os.tmpdir(), 'kasane-bench-'));
const base = `http://127.0.0.1:${port}`;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const median = (xs: number[]) => pct(xs, 50);

// The service runs in its own process so the load generator does not share its event loop.
const svc = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'start'], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, KASANE_VAR_DIR: varDir, LOG_LEVEL: 'error' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
svc.stdout!.on('data', (b) => (out += b));
const stop = () => svc.exitCode === null && svc.kill('SIGTERM');
process.on('exit', stop);

try {
  const t0 = Date.now();
  while (!/Try: curl/.test(out)) {
    if (svc.exitCode !== null) throw new Error(`service exited: ${out}`);
    if (Date.now() - t0 > 300_000) throw new Error('service did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const key = readFileSync(path.join(varDir, 'api-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const post = async (data: unknown, extra: Record<string, unknown> = {}) => {
    const t = performance.now();
    const r = await fetch(`${base}/v1/renders`, { method: 'POST', headers, body: JSON.stringify({ template: TEMPLATE, data, ...extra }) });
    const body = (await r.json()) as any;
    if (r.status !== 201) throw new Error(`POST ${r.status}: ${JSON.stringify(body)}`);
    return { ms: performance.now() - t, at: t, body };
  };
  const status = async (id: string) => (await (await fetch(`${base}/v1/renders/${id}`, { headers })).json()) as any;
  const waitDone = async (id: string) => {
    for (;;) {
      const s = await status(id);
      if (s.state === 'done') return performance.now();
      if (s.state === 'failed') throw new Error(s.error);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const firstByte = async (url: string) => {
    const r = await fetch(url);
    const reader = r.body!.getReader();
    await reader.read();
    const t = performance.now();
    await reader.cancel();
    return { t, status: r.status };
  };
  let n = 0;
  const person = () => ({ name: `ベンチ${process.pid}-${n++}`, savings: 1000 + n });

  // 1. Render time with an idle worker, and time to first bytes.
  const renderMs: number[] = [];
  const firstStatic: number[] = [];
  const firstPersonal: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    const a = await post(person());
    const s0 = await firstByte(a.body.playlist_url.replace('index.m3u8', '0.ts'));
    firstStatic.push(s0.t - a.at);
    const s1 = await firstByte(a.body.playlist_url.replace('index.m3u8', '1.ts'));
    if (s1.status !== 200) throw new Error(`personal segment → ${s1.status}`);
    firstPersonal.push(s1.t - a.at);
    renderMs.push((await waitDone(a.body.id)) - a.at);
  }

  // 2. Full single-pass re-render: same video, same overlays, same encoder, audio included.
  const storage = new LocalStorage(path.join(varDir, 'storage'));
  const list = (await (await fetch(`${base}/v1/templates/${TEMPLATE}`, { headers })).json()) as any;
  const plan = (await loadPlan(storage, TEMPLATE, list.version))!;
  const benchData = person();
  const ctx = drawContext(plan, storage, loadConfig({ ...process.env, KASANE_VAR_DIR: varDir }).imageFetch);
  const work = mkdtempSync(path.join(os.tmpdir(), 'kasane-bench-full-'));
  const fullMs: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    const t = performance.now();
    const overlays = (await Promise.all(plan.segments.filter((s) => s.kind === 'dynamic').map((s) => overlaysFor(plan, s, benchData, ctx)))).flat();
    const args = ['-y', '-i', path.join(PROJECT_ROOT, 'templates', TEMPLATE, plan.manifest.video.file)];
    const fps = fpsValue(plan.fps);
    let graph = `[0:v]fps=${plan.fps.num}/${plan.fps.den},scale=${plan.width}:${plan.height},format=yuv420p[b0]`;
    overlays.forEach((o, k) => {
      const f = path.join(work, `o${k}.png`);
      writeFileSync(f, o.png);
      args.push('-loop', '1', '-framerate', `${plan.fps.num}/${plan.fps.den}`, '-t', String(plan.duration), '-i', f);
      const fades = ['format=rgba'];
      if (o.fadeIn) fades.push(`fade=t=in:st=${o.startFrame / fps}:d=${o.fadeIn}:alpha=1`);
      if (o.fadeOut) fades.push(`fade=t=out:st=${o.endFrame / fps - o.fadeOut}:d=${o.fadeOut}:alpha=1`);
      graph += `;[${k + 1}:v]${fades.join(',')}[o${k}];[b${k}][o${k}]overlay=x=${o.x}:y=${o.y}:eof_action=pass:enable='between(n,${o.startFrame},${o.endFrame - 1})'[b${k + 1}]`;
    });
    graph += `;[b${overlays.length}]format=yuv420p[v]`;
    args.push('-filter_complex', graph, '-map', '[v]', '-map', '0:a:0', ...videoEncoderArgs(plan.encoder, plan.fps),
      '-force_key_frames', forceKeyframesExpr(plan.segments.map((s) => s.startFrame)), ...audioEncoderArgs(plan.encoder), '-frames:v', String(plan.frameCount), '-f', 'mpegts', path.join(work, 'full.ts'));
    await runFfmpeg(args, { timeoutMs: 600_000 });
    fullMs.push(performance.now() - t);
  }
  rmSync(work, { recursive: true, force: true });

  // 3. Accept latency under load, worker running (it starts rendering the accepted renders).
  const lat: number[] = [];
  const tLoad = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        lat.push((await post(person(), { mode: MODE })).ms);
      }
    }),
  );
  const loadSec = (performance.now() - tLoad) / 1000;

  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    accept: { mode: MODE, requests: REQUESTS, concurrency: CONCURRENCY, rps: +(REQUESTS / loadSec).toFixed(0), p50_ms: +pct(lat, 50).toFixed(2), p99_ms: +pct(lat, 99).toFixed(2), max_ms: +Math.max(...lat).toFixed(2) },
    first_static_segment_bytes_ms: +median(firstStatic).toFixed(1),
    first_personal_segment_bytes_ms: +median(firstPersonal).toFixed(1),
    render_total_ms: +median(renderMs).toFixed(0),
    full_rerender_ms: +median(fullMs).toFixed(0),
    full_over_render_ratio: +(median(fullMs) / median(renderMs)).toFixed(2),
    runs: { renderMs, fullMs, firstStatic, firstPersonal },
  };
  console.log(`
| figure | value |
| --- | --- |
| accept latency p50 / p99 (${REQUESTS} ${MODE} req, ${CONCURRENCY} concurrent, ${result.accept.rps} req/s) | ${result.accept.p50_ms} ms / ${result.accept.p99_ms} ms |
| accept → first segment bytes (static) | ${result.first_static_segment_bytes_ms} ms |
| accept → first personalized segment bytes (just in time) | ${result.first_personal_segment_bytes_ms} ms |
| accept → render done (2 personalized segments, 8 s of 30 s) | ${result.render_total_ms} ms |
| full single-pass re-render, same overlays and encoder | ${result.full_rerender_ms} ms |
| full re-render ÷ Kasane render | ${result.full_over_render_ratio}× |
`);
  mkdirSync(path.join(PROJECT_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(PROJECT_ROOT, 'bench/results', `core-${result.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
} finally {
  stop();
  await new Promise((r) => setTimeout(r, 500));
  rmSync(varDir, { recursive: true, force: true });
}
