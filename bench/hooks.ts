// Hook → answer latency for the signed connector kinds (issue 9: p99 ≤ 15 ms at 500 req/s,
// signature checks included):
//   npm run build && npx tsx bench/hooks.ts [--rps 500] [--seconds 10] [--warmup 5] [--service-warmup 10] [--kinds generic,hubspot,sfmc]
// Starts the compiled API and an idle worker (lazy connectors queue nothing), uploads the
// bench-ref template prepared by `npm run bench` (bench/.cache) and a 20-item catalog, creates
// one lazy connector per kind through the API, then per kind runs an open-loop fixed-rate
// load (bench/hooks-load.ts, its own process; every request a distinct contact, signed there).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/config/index.ts';
import type { LoadResult } from './lib/load.ts';
import { peakRssMb } from './lib/procs.ts';
import { startBenchService, writeResult } from './lib/service.ts';
import { pct, round, sleep } from './lib/stats.ts';
import type { HookKind } from './hooks-load.ts';

const { values: o } = parseArgs({ options: { rps: { type: 'string', default: '500' }, seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '5' }, kinds: { type: 'string', default: 'generic,hubspot,sfmc' }, 'service-warmup': { type: 'string', default: '10' } } });
const SECRETS: Record<HookKind, string> = {
  generic: `whsec_${randomBytes(32).toString('base64')}`,
  hubspot: 'a1b2c3d4-bench-4e5f-9a0b-' + randomBytes(6).toString('hex'),
  sfmc: randomBytes(32).toString('base64url'),
};
/** One connector per kind, all onto bench-ref's fields, lazy (accepting is the work measured, not rendering). */
const connector = (kind: HookKind) => ({
  kind,
  name: `bench ${kind}`,
  template: 'bench-ref',
  mode: 'lazy',
  secrets: [SECRETS[kind]],
  contact: kind === 'sfmc' ? '/_sfmc/keyValue' : '/contact_id',
  ...(kind === 'sfmc' ? {} : { campaign: { value: 'bench' } }),
  mapping: { name: { join: ['/lastname', '/firstname'], sep: ' ' }, amount: '/amount', items: { skus: '/rec_skus' } },
});

/** CPU time (user + system) a process has used so far, in ms: the API's cost per hook, whatever else the machine runs. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function runLoad(args: Record<string, unknown>): Promise<LoadResult & { signMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/hooks-load.ts'), JSON.stringify(args)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(Buffer.concat(out).toString('utf8'))) : reject(new Error(`load generator exited ${code}`))));
  });
}

const svc = await startBenchService('hooks');
const { base, json, api } = svc;
try {
  const catalog = Array.from({ length: 20 }, (_, k) => ({ sku: `SKU${k}`, name: `ベンチ商品 ${k}`, price: 980 + k * 100, ...(k % 3 ? {} : { badge: '人気' }) }));
  const cat = await fetch(`${base}/v1/templates/bench-ref/catalog`, { method: 'PUT', headers: json, body: JSON.stringify(catalog) });
  if (!cat.ok) throw new Error(`catalog: ${cat.status} ${await cat.text()}`);
  const kinds = o.kinds.split(',') as HookKind[];
  const ids = {} as Record<HookKind, string>;
  for (const kind of kinds) {
    const res = await fetch(`${base}/v1/connectors`, { method: 'POST', headers: json, body: JSON.stringify(connector(kind)) });
    const c = (await res.json()) as { id: string };
    if (res.status !== 201) throw new Error(`connector ${kind}: ${res.status} ${JSON.stringify(c)}`);
    ids[kind] = c.id;
  }
  const load = (kind: HookKind, seconds: number, warmupSeconds: number, tag: string) =>
    runLoad({ kind, url: `${base}/hooks/${ids[kind]}${kind === 'sfmc' ? '/execute' : ''}`, publicUrl: base, secret: SECRETS[kind], rps: Number(o.rps), seconds, warmupSeconds, tag: `${tag}-${process.pid}` });
  // A freshly started API is still settling after the per-kind 5 s warm-up (JIT, the first
  // connections): warm the service once on the first kind so that kind is not measured colder than the others.
  const sw = Number(o['service-warmup']);
  const serviceWarmup = sw > 0 ? await load(kinds[0]!, 1, sw, 'service-warmup') : undefined;
  if (serviceWarmup) console.error(`service warm-up (${sw} s on ${kinds[0]}): p99 ${round(serviceWarmup.warmup.p99Ms)} ms, max ${round(serviceWarmup.warmup.maxMs)} ms`);
  const rows: Array<Record<string, unknown>> = [];
  for (const kind of kinds) {
    await sleep(1000);
    const cpu0 = cpuMs(api.pid);
    const r = await load(kind, Number(o.seconds), Number(o.warmup), kind);
    const apiCpuMsPerHook = round((cpuMs(api.pid) - cpu0) / (r.sent + r.warmup.sent), 3);
    const l = r.latenciesMs;
    const row = { kind, sent: r.sent, ok: r.ok, errors: r.errors, rps: round(r.achievedRps, 0), p50: round(pct(l, 50)), p90: round(pct(l, 90)), p99: round(pct(l, 99)), max: round(Math.max(...l)), lagMs: round(r.maxSendLagMs), warmupP99: round(r.warmup.p99Ms), signMs: round(r.signMs, 0), apiCpuMsPerHook, apiPeakMb: round(peakRssMb(api.pid), 0) };
    console.error(JSON.stringify(row));
    rows.push(row);
  }
  const result = { at: new Date().toISOString(), loadavg: os.loadavg().map((x) => round(x)), rps: Number(o.rps), seconds: Number(o.seconds), serviceWarmupP99: serviceWarmup && round(serviceWarmup.warmup.p99Ms), rows, apiPeakMb: round(peakRssMb(api.pid), 0) };
  console.log(JSON.stringify(result, null, 1));
  writeResult('hooks', result);
} finally {
  await svc.stop();
}
