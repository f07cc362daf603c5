// Prometheus metrics from a real service: a real render moves the accept,
// queue-wait, encode and reuse series; a viewer who arrives too early moves the
// just-in-time series; a webhook to a closed port counts a delivery error; queue
// depth is read from Redis at scrape time. /metrics wants the admin key; the
// metrics port answers without one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestService, API_KEY, type TestService } from './helpers/service.ts';
import { writeTinyTemplate } from './helpers/tiny-template.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { countStorageErrors } from '../src/storage/count-errors.ts';
import { exposition } from '../src/metrics/index.ts';
import { freePort } from './support/net.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-metrics-'));
const TINY = 'metrics-tiny';
let t: TestService;
let closedPort: number;

before(async () => {
  await writeTinyTemplate(path.join(root, 'templates'), {
    id: TINY,
    name: 'metrics',
    fields: { name: { type: 'string', required: true, maxLength: 20 }, amount: { type: 'integer', required: true } },
  });
  closedPort = await freePort();
  t = await startTestService({
    env: { KASANE_TEMPLATES_DIR: path.join(root, 'templates'), KASANE_METRICS_PORT: '0', KASANE_JIT_WAIT_MS: '0', KASANE_EVENT_ALLOW_PRIVATE: '1', KASANE_EVENT_RETRY_BASE_MS: '600000' },
  });
  await t.svc.prepareBundled();
});

after(async () => {
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Sample value of one series in an exposition: `name{a="b",…} value`, matched on the labels given. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      sum += Number(m[3]);
      seen = true;
    }
  }
  return seen ? sum : NaN;
}

async function scrape(): Promise<string> {
  const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

const zero = (n: number) => (Number.isNaN(n) ? 0 : n);

test('a render moves the accept, queue-wait, encode and reuse metrics; queue depth is there for every queue', async () => {
  const before = await scrape();
  const name = `m${Date.now() % 1_000_000}`; // content-addressed segments: fresh data encodes afresh
  const first = await t.api('POST', '/v1/renders', { template: TINY, data: { name, amount: 1200 }, external_id: 'a' });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  assert.equal((await t.waitState(first.body.id, ['done', 'failed'])).state, 'done');
  // Same overlays for another contact: its personal segment is already stored.
  const second = await t.api('POST', '/v1/renders', { template: TINY, data: { name, amount: 1200 }, external_id: 'b' });
  assert.equal((await t.waitState(second.body.id, ['done', 'failed'])).state, 'done');
  const refused = await t.api('POST', '/v1/renders', { template: TINY, data: { name: 7 } });
  assert.equal(refused.status, 422);
  const after = await scrape();

  const count = (text: string, n: string, l: Record<string, string> = {}) => zero(sample(text, n, l));
  assert.equal(count(after, 'kasane_accept_duration_seconds_count', { source: 'api', outcome: 'created' }) - count(before, 'kasane_accept_duration_seconds_count', { source: 'api', outcome: 'created' }), 2);
  assert.equal(count(after, 'kasane_accept_duration_seconds_count', { source: 'api', outcome: 'rejected' }) - count(before, 'kasane_accept_duration_seconds_count', { source: 'api', outcome: 'rejected' }), 1);
  assert.ok(count(after, 'kasane_accept_duration_seconds_sum', { source: 'api' }) > count(before, 'kasane_accept_duration_seconds_sum', { source: 'api' }));
  assert.equal(count(after, 'kasane_segment_encode_seconds_count') - count(before, 'kasane_segment_encode_seconds_count'), 1, 'one personal segment encoded');
  assert.ok(count(after, 'kasane_segment_encode_seconds_sum') > count(before, 'kasane_segment_encode_seconds_sum'));
  assert.equal(count(after, 'kasane_segment_reuse_total') - count(before, 'kasane_segment_reuse_total'), 1, 'the second contact reused it');
  assert.ok(count(after, 'kasane_queue_wait_seconds_count', { queue: 'render' }) - count(before, 'kasane_queue_wait_seconds_count', { queue: 'render' }) >= 2);
  for (const queue of ['render', 'prepare', 'webhook', 'batch']) {
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      assert.ok(Number.isFinite(sample(after, 'kasane_queue_jobs', { queue, state })), `kasane_queue_jobs{queue="${queue}",state="${state}"}`);
    }
  }
  // Default process metrics, and labels that never carry a render id or data.
  assert.ok(Number.isFinite(sample(after, 'process_cpu_seconds_total')));
  assert.ok(!after.includes(first.body.id) && !after.includes(name), 'no render id or data in a label');
});

test('a viewer who arrives before the render waits, then gets a 503 counted as a just-in-time miss', async () => {
  const before = await scrape();
  const r = await t.api('POST', '/v1/renders', { template: TINY, data: { name: `j${Date.now() % 1_000_000}`, amount: 5 }, mode: 'lazy' });
  assert.equal(r.status, 201);
  const plan = (await t.api('GET', `/v1/renders/${r.body.id}`)).body;
  const dyn = plan.segments.find((s: { kind: string }) => s.kind === 'dynamic').index;
  // KASANE_JIT_WAIT_MS=0: nothing rendered yet, so no wait is long enough.
  const seg = await fetch(r.body.playlist_url.replace('index.m3u8', `${dyn}.ts`));
  assert.equal(seg.status, 503);
  await seg.arrayBuffer();
  const after = await scrape();
  assert.equal(zero(sample(after, 'kasane_jit_unavailable_total')) - zero(sample(before, 'kasane_jit_unavailable_total')), 1);
  assert.equal(zero(sample(after, 'kasane_jit_wait_seconds_count', { outcome: 'timeout' })) - zero(sample(before, 'kasane_jit_wait_seconds_count', { outcome: 'timeout' })), 1);
  await t.waitState(r.body.id, ['done', 'failed']);
});

test('a webhook that cannot be delivered is counted by reason', async () => {
  const ep = await t.api('POST', '/v1/webhook-endpoints', { url: `http://127.0.0.1:${closedPort}/hook`, events: ['render.ready'] });
  assert.equal(ep.status, 201, JSON.stringify(ep.body));
  const before = zero(sample(await scrape(), 'kasane_webhook_delivery_errors_total', { reason: 'network' }));
  const r = await t.api('POST', '/v1/renders', { template: TINY, data: { name: `w${Date.now() % 1_000_000}`, amount: 9 } });
  await t.waitState(r.body.id, ['done']);
  for (const end = Date.now() + 15_000; ; ) {
    const now = zero(sample(await scrape(), 'kasane_webhook_delivery_errors_total', { reason: 'network' }));
    if (now > before) break;
    assert.ok(Date.now() < end, 'no delivery error counted');
    await new Promise((res) => setTimeout(res, 200));
  }
  await t.api('DELETE', `/v1/webhook-endpoints/${ep.body.id}`);
});

test('/metrics wants an admin key; the metrics port answers without one, and only /metrics', async () => {
  const none = await fetch(`${t.url}/metrics`);
  assert.equal(none.status, 401);
  assert.equal((await none.json()).error.code, 'unauthorized');
  assert.equal((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer not-a-key-0123456789' } })).status, 401);
  assert.ok(t.svc.metricsUrl, 'KASANE_METRICS_PORT opened a listener');
  const open = await fetch(t.svc.metricsUrl!);
  assert.equal(open.status, 200);
  const text = await open.text();
  assert.match(text, /^kasane_accept_duration_seconds_count\{.*role="all".*\} \d+/m);
  assert.equal((await fetch(t.svc.metricsUrl!.replace('/metrics', '/v1/templates'))).status, 404);
});

test('a failing storage operation is counted by operation; a missing object is not an error', async () => {
  // A file where the storage root's folder should be: every write fails for real (ENOTDIR).
  const blocker = path.join(root, 'not-a-dir');
  writeFileSync(blocker, 'x');
  const storage = countStorageErrors(new LocalStorage(blocker));
  const read = async () => zero(sample((await exposition()).body, 'kasane_storage_errors_total', { op: 'put' }));
  const before = await read();
  await assert.rejects(storage.put('a/b.ts', Buffer.from('x')));
  assert.equal(await read(), before + 1);
  assert.equal(await countStorageErrors(new LocalStorage(root)).head('nothing/here.ts'), null);
  assert.ok(Number.isNaN(sample((await exposition()).body, 'kasane_storage_errors_total', { op: 'head' })));
});

