// Viewer event ingest (issue 10): POST /v/<token>/events p99 ≤ 5 ms at 1,000 events/s
// with the API's peak RSS within 150 MB:
//   npm run build && npx tsx bench/events-ingest.ts [--rps 1000] [--seconds 10] [--warmup 5] [--renders 2500] [--endpoint]
// Starts the compiled API + worker, makes --renders lazy renders (nothing is encoded), then
// a separate load process posts beacons open-loop at a fixed rate, each render in turn
// reporting started, 25/50/75 %, completed, CTA, replayed — so every beacon does the whole
// ingest: token check, rate allowance, first-seen writes and funnel counters (one Lua
// script), and the webhook forward decision. --endpoint adds a receiver subscribed to all
// viewer events, so forwarding queues a delivery per first report too.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/config/index.ts';
import type { LoadResult } from './lib/load.ts';
import { peakRssMb } from './lib/procs.ts';
import { startBenchService, writeResult } from './lib/service.ts';
import { pct, round, sleep } from './lib/stats.ts';

const { values: o } = parseArgs({ options: { rps: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '5' }, renders: { type: 'string', default: '2500' }, endpoint: { type: 'boolean', default: false } } });

function runLoad(args: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/events-ingest-load.ts'), JSON.stringify(args)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(Buffer.concat(out).toString('utf8'))) : reject(new Error(`load generator exited ${code}`))));
  });
}

let delivered = 0;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    delivered++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));

const svc = await startBenchService('events-ingest', { KASANE_EVENT_ALLOW_PRIVATE: '1', KASANE_EVENT_ALLOW_HTTP: '1' });
const { base, json, api } = svc;
try {
  if (o.endpoint) {
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/kasane`;
    const ep = await fetch(`${base}/v1/webhook-endpoints`, { method: 'POST', headers: json, body: JSON.stringify({ url, events: ['video.started', 'video.progress', 'video.completed', 'cta.clicked', 'video.replayed'] }) });
    if (ep.status !== 201) throw new Error(`endpoint: ${ep.status} ${await ep.text()}`);
  }
  const renders = Number(o.renders);
  const tokens: string[] = [];
  const items = [{ name: 'グリーンプラン S', price: 2980 }];
  for (let k = 0; k < renders; k += 25) {
    tokens.push(...(await Promise.all(Array.from({ length: Math.min(25, renders - k) }, async (_, j) => {
      const r = await fetch(`${base}/v1/renders`, { method: 'POST', headers: json, body: JSON.stringify({ template: 'bench-ref', mode: 'lazy', data: { name: `視聴 ${k + j}`, amount: k + j, items } }) });
      const b = (await r.json()) as { player_url: string };
      if (r.status !== 201) throw new Error(`render: ${r.status} ${JSON.stringify(b)}`);
      return /\/v\/([^/]+)\//.exec(b.player_url)![1]!;
    }))));
  }
  const tokensFile = path.join(svc.varDir, 'tokens.json');
  writeFileSync(tokensFile, JSON.stringify(tokens));
  await sleep(1000);
  const r = await runLoad({ url: `${base}/v/x/events`, tokensFile, rps: Number(o.rps), seconds: Number(o.seconds), warmupSeconds: Number(o.warmup) });
  const stats = await (await fetch(`${base}/v1/templates/bench-ref/stats`, { headers: json })).json() as { counts: Record<string, number> };
  const l = r.latenciesMs;
  const result = {
    at: new Date().toISOString(),
    loadavg: os.loadavg().map((x) => round(x)),
    rps: Number(o.rps),
    achieved_rps: round(r.achievedRps, 0),
    seconds: Number(o.seconds),
    warmup_seconds: Number(o.warmup),
    renders,
    endpoint: o.endpoint,
    sent: r.sent,
    ok: r.ok,
    errors: r.errors,
    p50: round(pct(l, 50)),
    p90: round(pct(l, 90)),
    p99: round(pct(l, 99)),
    p999: round(pct(l, 99.9)),
    max: round(Math.max(...l)),
    send_lag_ms: round(r.maxSendLagMs),
    warmup_p99: round(r.warmup.p99Ms),
    funnel_counts: stats.counts,
    webhook_requests_received: delivered,
    api_peak_mb: round(peakRssMb(api.pid), 0),
  };
  console.log(JSON.stringify(result, null, 1));
  writeResult('events-ingest', result);
} finally {
  await svc.stop();
  receiver.close();
}
