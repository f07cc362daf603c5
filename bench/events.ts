// Events delivered exactly once (after deduplicating on webhook-id) to a receiver that
// fails 30 % of deliveries at random (issue 9):
//   npm run build && npx tsx bench/events.ts [--events 2000] [--rps 200] [--fail 0.3] [--retry-base 10]
// Starts the compiled API + worker (retry schedule scaled down by KASANE_EVENT_RETRY_BASE_MS:
// with 10 ms the 12 attempts span ~3 min instead of ~a day), a local receiver that verifies
// every request with the standardwebhooks package and answers 500 to a random 30 % of them,
// and one endpoint subscribed to the viewer events. Viewer beacons (POST /v/<token>/events)
// across many lazy renders make the events: per render started, progress 25/50/75, completed
// and cta.clicked, each counted once. Then it waits until the delivery queue is empty.
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import path from 'node:path';
import { bullConnection } from '../src/queue/connection.ts';
import { DELIVERY_QUEUE } from '../src/events/delivery-queue.ts';
import { peakRssMb } from './lib/procs.ts';
import { startBenchService, writeResult } from './lib/service.ts';
import { pct, round, sleep } from './lib/stats.ts';

const { values: o } = parseArgs({ options: { events: { type: 'string', default: '2000' }, rps: { type: 'string', default: '200' }, fail: { type: 'string', default: '0.3' }, 'retry-base': { type: 'string', default: '10' }, 'max-wait': { type: 'string', default: '150' } } });
const N = Number(o.events);
const FAIL = Number(o.fail);
const BEACONS = [{ type: 'video.started' }, { type: 'video.progress', percent: 25 }, { type: 'video.progress', percent: 50 }, { type: 'video.progress', percent: 75 }, { type: 'video.completed' }, { type: 'cta.clicked' }] as const;
const keyOf = (renderId: string, type: string, percent?: number) => `${renderId}:${type}:${percent ?? ''}`;

// The receiver, as a customer would write it: verify the raw body first, then (here) fail at random.
let wh: Webhook | undefined;
const firstAccepted = new Map<string, { at: number; key: string }>();
let attempts = 0;
/** webhook-id → requests received for it until (and including) the accepted one. */
const triesUntilAccepted = new Map<string, number>();
const tries = new Map<string, number>();
let failedByUs = 0;
let duplicates = 0;
let badSignatures = 0;
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    attempts++;
    const raw = Buffer.concat(chunks).toString('utf8');
    let event: { type: string; data: { render_id: string; percent?: number } };
    try {
      event = wh!.verify(raw, { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) }) as typeof event;
    } catch {
      badSignatures++;
      return void res.writeHead(400).end();
    }
    const id = String(req.headers['webhook-id']);
    tries.set(id, (tries.get(id) ?? 0) + 1);
    if (Math.random() < FAIL) {
      failedByUs++;
      return void res.writeHead(500).end();
    }
    if (firstAccepted.has(id)) duplicates++;
    else {
      firstAccepted.set(id, { at: performance.now(), key: keyOf(event.data.render_id, event.type, event.data.percent) });
      triesUntilAccepted.set(id, tries.get(id)!);
    }
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/kasane`;

const svc = await startBenchService('events', { KASANE_EVENT_RETRY_BASE_MS: o['retry-base'], KASANE_EVENT_ALLOW_PRIVATE: '1', KASANE_EVENT_ALLOW_HTTP: '1' });
const queue = new Queue(DELIVERY_QUEUE, { connection: bullConnection({ socket: path.join(svc.varDir, 'redis/redis.sock') }) });
try {
  const { base, json } = svc;
  const epRes = await fetch(`${base}/v1/webhook-endpoints`, { method: 'POST', headers: json, body: JSON.stringify({ url: receiverUrl, events: ['video.started', 'video.progress', 'video.completed', 'cta.clicked'], description: 'bench' }) });
  const ep = (await epRes.json()) as { id: string; secret: string };
  if (epRes.status !== 201) throw new Error(`endpoint: ${epRes.status} ${JSON.stringify(ep)}`);
  wh = new Webhook(ep.secret);

  // Lazy renders: nothing is encoded; each gives a viewer token.
  const renders = Math.ceil(N / BEACONS.length);
  const tokens: Array<{ id: string; token: string }> = [];
  const items = [{ name: 'グリーンプラン S', price: 2980 }];
  for (let k = 0; k < renders; k += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, renders - k) }, async (_, j) => {
        const r = await fetch(`${base}/v1/renders`, { method: 'POST', headers: json, body: JSON.stringify({ template: 'bench-ref', mode: 'lazy', data: { name: `視聴 ${k + j}`, amount: k + j, items } }) });
        const b = (await r.json()) as { id: string; playlist_url: string };
        if (r.status !== 201) throw new Error(`render: ${r.status} ${JSON.stringify(b)}`);
        return { id: b.id, token: /\/v\/([^/]+)\//.exec(b.playlist_url)![1]! };
      }),
    );
    tokens.push(...batch);
  }

  // Beacons at a fixed rate, each (render, type, percent) once: N events.
  const sentAt = new Map<string, number>();
  const beaconErrors: Record<string, number> = {};
  const pending: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const wait = t0 + (i * 1000) / Number(o.rps) - performance.now();
    if (wait > 1) await sleep(wait);
    const r = tokens[Math.floor(i / BEACONS.length)]!;
    const b = BEACONS[i % BEACONS.length]!;
    sentAt.set(keyOf(r.id, b.type, 'percent' in b ? b.percent : undefined), performance.now());
    pending.push(
      fetch(`${base}/v/${r.token}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) }).then(
        async (res) => {
          await res.arrayBuffer();
          if (res.status !== 204) beaconErrors[res.status] = (beaconErrors[res.status] ?? 0) + 1;
        },
        (e: Error) => void (beaconErrors[e.message] = (beaconErrors[e.message] ?? 0) + 1),
      ),
    );
  }
  await Promise.all(pending);
  const beaconsDone = performance.now();

  // Drained: nothing waiting, running or delayed for a retry.
  let counts: Record<string, number> = {};
  const deadline = performance.now() + Number(o['max-wait']) * 1000;
  while (performance.now() < deadline) {
    counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed');
    if (!counts.waiting && !counts.active && !counts.delayed && !counts.prioritized) break;
    await sleep(250);
  }
  const drainedAfterS = (performance.now() - beaconsDone) / 1000;
  const lat = [...firstAccepted.values()].map((a) => a.at - sentAt.get(a.key)!).filter((x) => Number.isFinite(x));
  const accepted = firstAccepted.size;
  const result = {
    at: new Date().toISOString(),
    loadavg: os.loadavg().map((x) => round(x)),
    events_generated: N,
    beacon_errors: beaconErrors,
    renders,
    distinct_webhook_ids_accepted: accepted,
    exactly_once_after_dedup: accepted === N && lat.length === N,
    duplicates_received: duplicates,
    failed_for_good: counts.failed ?? NaN,
    still_queued: (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
    attempts,
    answered_500: failedByUs,
    fail_rate: round(failedByUs / attempts, 3),
    bad_signatures: badSignatures,
    // How many attempts events needed (attempt n waits for retries 1…n-1 of the schedule).
    events_by_attempts: Object.fromEntries([...triesUntilAccepted.values()].reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<number, number>()).entries()),
    beacon_to_accepted_ms: { p50: round(pct(lat, 50)), p90: round(pct(lat, 90)), p99: round(pct(lat, 99)), max: round(Math.max(...lat)) },
    beacons_s: round((beaconsDone - t0) / 1000),
    drained_after_beacons_s: round(drainedAfterS),
    retry_base_ms: Number(o['retry-base']),
    api_peak_mb: round(peakRssMb(svc.api.pid), 0),
    worker_peak_mb: round(peakRssMb(svc.worker.pid), 0),
  };
  console.log(JSON.stringify(result, null, 1));
  writeResult('events', result);
} finally {
  await queue.close();
  await svc.stop();
  receiver.close();
}
