// Hook → answer latency for the signed connector kinds (issue 9: p99 ≤ 15 ms at 500 req/s,
// signature checks included):
//   npm run build && npx tsx bench/hooks.ts [--rps 500] [--seconds 10] [--kinds generic,hubspot,sfmc]
// Starts the compiled API and an idle worker (lazy connectors queue nothing), uploads the
// bench-ref template prepared by `npm run bench` (bench/.cache) and a 20-item catalog, creates
// one lazy connector per kind through the API, then per kind runs an open-loop fixed-rate
// load (bench/hooks-load.ts, its own process; every request a distinct contact, signed there).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/config/index.ts';
import type { LoadResult } from './lib/load.ts';
import { peakRssMb, startKasane } from './lib/procs.ts';
import { pct, round, sleep } from './lib/stats.ts';
import type { HookKind } from './hooks-load.ts';

const { values: o } = parseArgs({ options: { rps: { type: 'string', default: '500' }, seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '5' }, kinds: { type: 'string', default: 'generic,hubspot,sfmc' } } });
const varDir = path.join(os.tmpdir(), `kasane-hooks-${process.pid}`);
mkdirSync(varDir, { recursive: true });
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const env = { PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, KASANE_VAR_DIR: varDir, KASANE_STORAGE_DIR: path.join(PROJECT_ROOT, 'bench/.cache/storage'), LOG_LEVEL: 'warn' };

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

function runLoad(args: Record<string, unknown>): Promise<LoadResult & { signMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/hooks-load.ts'), JSON.stringify(args)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(Buffer.concat(out).toString('utf8'))) : reject(new Error(`load generator exited ${code}`))));
  });
}

const api = startKasane('api', env);
let worker: ReturnType<typeof startKasane> | undefined;
try {
  while (!(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) await sleep(100);
  // After the API: it owns the embedded Redis the worker connects to. It only registers the upload here.
  worker = startKasane('worker', { ...env, KASANE_WORKER_CONCURRENCY: '1' });
  const key = readFileSync(path.join(varDir, 'api-key'), 'utf8').trim();
  const auth = { authorization: `Bearer ${key}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const { packageFiles } = await import('../src/templates/prepare.ts');
  const { zipFiles } = await import('../src/templates/package/zip-writer.ts');
  const dir = path.join(PROJECT_ROOT, 'bench/.cache/templates/bench-ref');
  const zip = await zipFiles((await packageFiles(dir)).map((name) => ({ name, data: readFileSync(path.join(dir, name)) })));
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(zip)]), 'p.zip');
  const up = await fetch(`${base}/v1/templates?wait=true`, { method: 'POST', headers: auth, body: form });
  if (!up.ok) throw new Error(await up.text());
  await up.json();
  const catalog = Array.from({ length: 20 }, (_, k) => ({ sku: `SKU${k}`, name: `ベンチ商品 ${k}`, price: 980 + k * 100, ...(k % 3 ? {} : { badge: '人気' }) }));
  const cat = await fetch(`${base}/v1/templates/bench-ref/catalog`, { method: 'PUT', headers: json, body: JSON.stringify(catalog) });
  if (!cat.ok) throw new Error(`catalog: ${cat.status} ${await cat.text()}`);
  const rows: Array<Record<string, unknown>> = [];
  for (const kind of o.kinds.split(',') as HookKind[]) {
    const res = await fetch(`${base}/v1/connectors`, { method: 'POST', headers: json, body: JSON.stringify(connector(kind)) });
    const c = (await res.json()) as { id: string };
    if (res.status !== 201) throw new Error(`connector ${kind}: ${res.status} ${JSON.stringify(c)}`);
    await sleep(1000);
    const r = await runLoad({ kind, url: `${base}/hooks/${c.id}${kind === 'sfmc' ? '/execute' : ''}`, publicUrl: base, secret: SECRETS[kind], rps: Number(o.rps), seconds: Number(o.seconds), warmupSeconds: Number(o.warmup), tag: `${kind}-${process.pid}` });
    const l = r.latenciesMs;
    const row = { kind, sent: r.sent, ok: r.ok, errors: r.errors, rps: round(r.achievedRps, 0), p50: round(pct(l, 50)), p90: round(pct(l, 90)), p99: round(pct(l, 99)), max: round(Math.max(...l)), lagMs: round(r.maxSendLagMs), warmupP99: round(r.warmup.p99Ms), signMs: round(r.signMs, 0), apiPeakMb: round(peakRssMb(api.pid), 0) };
    console.error(JSON.stringify(row));
    rows.push(row);
  }
  console.log(JSON.stringify({ rps: Number(o.rps), seconds: Number(o.seconds), rows, apiPeakMb: round(peakRssMb(api.pid), 0) }, null, 1));
} finally {
  await worker?.stop();
  await api.stop();
  rmSync(varDir, { recursive: true, force: true });
}
