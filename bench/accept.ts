// Accept latency alone, for trying changes quickly:
//   npx tsx bench/accept.ts [--rps 1000] [--seconds 10] [--mode eager|lazy] [--worker 0|1|2]
// Uses the bench-ref template prepared by `npm run bench` (bench/.cache).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { fixedRateLoad } from './lib/load.ts';
import { peakRssMb, startKasane } from './lib/procs.ts';
import { pct, round, sleep } from './lib/stats.ts';

const { values: o } = parseArgs({ options: { rps: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, mode: { type: 'string', default: 'eager' }, worker: { type: 'string', default: '2' }, 'idle-worker': { type: 'boolean', default: false } } });
const varDir = path.join(os.tmpdir(), `kasane-accept-${process.pid}`);
mkdirSync(varDir, { recursive: true });
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const env = { PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, KASANE_VAR_DIR: varDir, KASANE_STORAGE_DIR: path.join(PROJECT_ROOT, 'bench/.cache/storage'), LOG_LEVEL: 'warn' };
const api = startKasane('api', env);
let worker: ReturnType<typeof startKasane> | undefined;
try {
  while (!(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) await sleep(100);
  // After the API: it owns the embedded Redis the worker connects to.
  if (Number(o.worker) > 0) worker = startKasane('worker', { ...env, KASANE_WORKER_CONCURRENCY: o.worker });
  const key = readFileSync(path.join(varDir, 'api-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  // Registry lives in Redis (fresh here): re-register the prepared bench-ref by uploading it.
  const { packageFiles } = await import('../src/templates/prepare.ts');
  const { zipFiles } = await import('../src/templates/package/zip-writer.ts');
  const dir = path.join(PROJECT_ROOT, 'bench/.cache/templates/bench-ref');
  const zip = await zipFiles((await packageFiles(dir)).map((name) => ({ name, data: readFileSync(path.join(dir, name)) })));
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(zip)]), 'p.zip');
  const up = await fetch(`${base}/v1/templates?wait=true`, { method: 'POST', headers: { authorization: headers.authorization }, body: form });
  if (!up.ok) throw new Error(await up.text());
  await up.json();
  console.error(`API RSS after upload: ${peakRssMb(api.pid).toFixed(0)} MB peak`);
  // --idle-worker: the worker only prepared the template; accepted renders pile up unencoded.
  if (o['idle-worker']) await worker?.stop();
  await sleep(2000);
  const items = [{ name: 'グリーンプラン S', price: 2980 }];
  const r = await fixedRateLoad({ url: `${base}/v1/renders`, headers, rps: Number(o.rps), seconds: Number(o.seconds), warmupSeconds: 5, expectStatus: 201, body: (i) => JSON.stringify({ template: 'bench-ref', mode: o.mode, data: { name: `負荷 ${process.pid}-${i}`, amount: i, items } }) });
  const l = r.latenciesMs;
  // When the slow ones happened (500 ms buckets): periodic stalls show up as clusters.
  const slow = new Map<number, number>();
  l.forEach((ms, k) => ms > 20 && slow.set(Math.floor(r.sentAtMs[k]! / 500) / 2, (slow.get(Math.floor(r.sentAtMs[k]! / 500) / 2) ?? 0) + 1));
  console.error(`requests over 20 ms by send time (s → count): ${[...slow].map(([t, c]) => `${t}:${c}`).join(' ')}`);
  console.log(JSON.stringify({ mode: o.mode, worker: o.worker, sent: r.sent, ok: r.ok, errors: r.errors, p50: round(pct(l, 50)), p90: round(pct(l, 90)), p99: round(pct(l, 99)), p999: round(pct(l, 99.9)), max: round(Math.max(...l)), lag: round(r.maxSendLagMs), apiPeakMb: round(peakRssMb(api.pid), 0) }));
} finally {
  await worker?.stop();
  await api.stop();
  rmSync(varDir, { recursive: true, force: true });
}
