// Events back to the customer's tool: webhook endpoints, render.ready / render.failed
// after real renders, viewer beacons, Standard Webhooks signatures checked by a real
// receiver on 127.0.0.1 exactly as a customer's would, retries with the same
// webhook-id, the delivery log, redelivery, disabling, and the SSRF rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { startService, type Service } from '../src/runtime.ts';
import { createLogger } from '../src/config/logger.ts';
import { SHARED_STORAGE, API_KEY, withBrokenMezzanine, connectTestRedis } from './helpers/service.ts';
import { textLayer, writeTinyTemplate } from './helpers/tiny-template.ts';
import { DELIVERY_ATTEMPTS, retryDelay } from '../src/events/delivery-queue.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-events-'));
const TINY = 'events-tiny';
const NAME = 'イベ花子';
let svc: Service;
let base: string;
let redis: Redis;
/** Everything the service logged, to check that no secret and no personal data is in it. */
let logText = '';

// ---------------------------------------------------------------- a receiver, as a customer would run it

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}
const received: Received[] = [];
/** path → how many requests to it fail with a 500 before it answers 200 ("always": never). */
const failFirst = new Map<string, number | 'always'>();
let receiver: http.Server;
let recv: string;

function startReceiver(): Promise<void> {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const p = req.url ?? '/';
      received.push({ path: p, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      const left = failFirst.get(p);
      if (left === 'always' || (typeof left === 'number' && left > 0)) {
        if (typeof left === 'number') failFirst.set(p, left - 1);
        res.writeHead(500).end('not now');
        return;
      }
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve) => receiver.listen(0, '127.0.0.1', () => {
    recv = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    resolve();
  }));
}

/** The receiver's side of Standard Webhooks: throws unless the signature and timestamp check out. */
function verified(r: Received, secret: string): any {
  return new Webhook(secret).verify(r.body, { 'webhook-id': r.headers['webhook-id']!, 'webhook-timestamp': r.headers['webhook-timestamp']!, 'webhook-signature': r.headers['webhook-signature']! });
}

const at = (p: string) => received.filter((r) => r.path === p);

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; ; ) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------- the service

async function api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const secrets: string[] = [];
async function endpoint(p: string, events: string[], extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const r = await api('POST', '/v1/webhook-endpoints', { url: recv + p, events, ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  secrets.push(r.body.secret);
  return r.body;
}

/** A lazy render: a token for beacons without rendering anything. */
async function lazyRender(externalId: string): Promise<{ id: string; token: string; player_url: string }> {
  const r = await api('POST', '/v1/renders', { template: TINY, data: { name: NAME }, mode: 'lazy', external_id: externalId });
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
  return { ...r.body, token: r.body.player_url.split('/v/')[1].replace(/\/$/, '') };
}

const beacon = (token: string, body: unknown) =>
  fetch(`${base}/v/${token}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

before(async () => {
  const templates = path.join(root, 'templates');
  await writeTinyTemplate(templates, { id: TINY, name: 'events', seconds: 2, fields: { name: { type: 'string', required: true, maxLength: 10, example: '山田' } }, layers: [textLayer('{{name}}', 32)] });
  await startReceiver();
  const varDir = path.join(root, 'var');
  svc = await startService({
    api: true,
    worker: true,
    env: {
      ...process.env,
      REDIS_URL: '',
      KASANE_VAR_DIR: varDir,
      KASANE_STORAGE_DIR: SHARED_STORAGE,
      KASANE_TEMPLATES_DIR: templates,
      KASANE_API_KEYS: API_KEY,
      KASANE_SIGNING_KEYS: 'k1:test-signing-secret-0123456789',
      KASANE_CONTENT_SECRET: 'test-content-secret-0123456789',
      KASANE_RENDER_ATTEMPTS: '1',
      // The receiver is on 127.0.0.1, over plain http.
      KASANE_EVENT_ALLOW_PRIVATE: '1',
      // Retries after 100 ms, 600 ms, 2.4 s… instead of 5 s, 30 s, 2 min…
      KASANE_EVENT_RETRY_BASE_MS: '100',
      PORT: '0',
      HOST: '127.0.0.1',
    },
    logger: createLogger('info', { destination: { write: (s: string) => void (logText += s) } }),
  });
  base = svc.url!;
  svc.config.publicUrl = base;
  await svc.prepareBundled();
  redis = connectTestRedis(varDir);
});

after(async () => {
  redis?.disconnect();
  await svc?.close();
  await new Promise((r) => receiver?.close(r));
  rmSync(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------- tests

test('the retry schedule starts at 5 s and spans about a day', () => {
  const delays = Array.from({ length: DELIVERY_ATTEMPTS - 1 }, (_, i) => retryDelay(i + 1, 5000));
  assert.deepEqual(delays.slice(0, 4), [5000, 30_000, 120_000, 300_000]);
  const total = delays.reduce((a, b) => a + b, 0) / 3_600_000;
  assert.ok(total > 22 && total < 27, `${total} h`);
});

test('endpoints: created with a secret shown once, listed and read without it, changed, rotated, deleted; bad input is a precise 422', async () => {
  const e = await endpoint('/crud', ['render.ready'], { description: 'CRM' });
  assert.match(e.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
  const got = await api('GET', `/v1/webhook-endpoints/${e.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.url, `${recv}/crud`);
  assert.deepEqual(got.body.events, ['render.ready']);
  assert.equal(got.body.enabled, true);
  assert.ok(!JSON.stringify(got.body).includes(e.secret.slice(6, 20)), 'GET never shows the secret');
  assert.equal(got.body.secret, undefined);
  const list = await api('GET', '/v1/webhook-endpoints');
  assert.ok(list.body.endpoints.some((x: any) => x.id === e.id));
  assert.ok(!JSON.stringify(list.body).includes(e.secret.slice(6, 20)));

  const off = await api('PATCH', `/v1/webhook-endpoints/${e.id}`, { enabled: false, events: ['render.ready', 'video.started'] });
  assert.equal(off.status, 200);
  assert.equal(off.body.enabled, false);
  assert.deepEqual(off.body.events, ['render.ready', 'video.started']);
  assert.equal(off.body.secret, undefined);
  const rot = await api('PATCH', `/v1/webhook-endpoints/${e.id}`, { rotate_secret: true });
  assert.match(rot.body.secret, /^whsec_/);
  assert.notEqual(rot.body.secret, e.secret);
  secrets.push(rot.body.secret);

  const bad = await api('POST', '/v1/webhook-endpoints', { url: 'ftp://example.com/x', events: ['render.done'] });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.error.problems.map((p: any) => p.pointer).sort(), ['/events']);
  const ftp = await api('POST', '/v1/webhook-endpoints', { url: 'ftp://example.com/x', events: ['render.ready'] });
  assert.equal(ftp.status, 422);
  assert.equal(ftp.body.error.problems[0].pointer, '/url');
  assert.equal((await api('PATCH', `/v1/webhook-endpoints/${e.id}`, {})).status, 422);
  assert.equal((await api('GET', '/v1/webhook-endpoints/nope')).status, 400);

  assert.equal((await api('DELETE', `/v1/webhook-endpoints/${e.id}`)).status, 204);
  assert.equal((await api('GET', `/v1/webhook-endpoints/${e.id}`)).status, 404);
});

test('an endpoint on a private address, or plain http, is refused where that is not allowed; delivery refuses it too', async () => {
  const ev = svc.config.events;
  const e = await endpoint('/ssrf', ['cta.clicked']);
  ev.allowPrivate = false;
  try {
    for (const url of [`${recv}/x`, 'https://169.254.169.254/latest', 'https://[::ffff:127.0.0.1]/x', 'https://10.0.0.1/hook']) {
      const r = await api('POST', '/v1/webhook-endpoints', { url, events: ['render.ready'] });
      assert.equal(r.status, 422, url);
      assert.equal(r.body.error.problems[0].pointer, '/url');
      assert.match(r.body.error.problems[0].message, /public address/);
    }
    // An endpoint saved while allowed is still not reached once refused: delivery checks each time.
    const r = await lazyRender('ssrf-1');
    assert.equal((await beacon(r.token, { type: 'cta.clicked' })).status, 204);
    const log = await waitFor('a refused attempt', async () => (await api('GET', `/v1/webhook-endpoints/${e.id}/deliveries`)).body.deliveries[0]);
    assert.equal(log.error, 'private_address');
    assert.equal(log.status_code, null);
    assert.equal(at('/ssrf').length, 0);
  } finally {
    ev.allowPrivate = true;
    await api('DELETE', `/v1/webhook-endpoints/${e.id}`);
  }
  ev.allowHttp = false;
  try {
    const r = await api('POST', '/v1/webhook-endpoints', { url: `${recv}/x`, events: ['render.ready'] });
    assert.equal(r.status, 422);
    assert.match(r.body.error.problems[0].message, /https/);
  } finally {
    ev.allowHttp = true;
  }
});

test('render.ready arrives, signed, with the external_id and a watch link after a real render; render.failed for a failing one', async () => {
  const e = await endpoint('/renders', ['render.ready', 'render.failed']);
  const name = `花子${Date.now() % 100000}`;
  const r = (await api('POST', '/v1/renders', { template: TINY, data: { name }, external_id: 'crm-42' })).body;
  const got = await waitFor('render.ready', () => at('/renders').find((x) => JSON.parse(x.body).data.render_id === r.id));
  const ev = verified(got, e.secret);
  assert.equal(ev.type, 'render.ready');
  assert.equal(ev.data.external_id, 'crm-42');
  assert.equal(ev.data.template, TINY);
  assert.equal(ev.data.watch_url, r.player_url);
  assert.ok(!Number.isNaN(Date.parse(ev.timestamp)));
  assert.ok(!got.body.includes(name), 'no personal data in the event');
  assert.equal((await api('GET', `/v1/renders/${r.id}`)).body.state, 'done');
  assert.match(got.headers['webhook-id']!, /^msg_/);

  // With the template's mezzanine broken, the render fails for good (one attempt in this service).
  let f: any;
  const failed = await withBrokenMezzanine(TINY, r.version, async () => {
    f = (await api('POST', '/v1/renders', { template: TINY, data: { name: `${name}失` }, external_id: 'crm-43' })).body;
    return waitFor('render.failed', () => at('/renders').find((x) => JSON.parse(x.body).data.render_id === f.id), 60_000);
  });
  const fev = verified(failed, e.secret);
  assert.equal(fev.type, 'render.failed');
  assert.equal(fev.data.external_id, 'crm-43');
  assert.ok(typeof fev.data.error === 'string' && fev.data.error.length > 0);
  assert.ok(!failed.body.includes(name));
  assert.equal((await api('GET', `/v1/renders/${f.id}`)).body.state, 'failed');
  await api('DELETE', `/v1/webhook-endpoints/${e.id}`);
});

test('a receiver that fails twice gets the same webhook-id again until it answers 2xx; the log shows each attempt; redelivery sends it again', async () => {
  const e = await endpoint('/flaky', ['cta.clicked']);
  failFirst.set('/flaky', 2);
  const r = await lazyRender('retry-1');
  assert.equal((await beacon(r.token, { type: 'cta.clicked' })).status, 204);
  await waitFor('three attempts', () => at('/flaky').length >= 3);
  const tries = at('/flaky');
  assert.equal(tries.length, 3);
  const id = tries[0]!.headers['webhook-id'];
  assert.ok(tries.every((x) => x.headers['webhook-id'] === id), 'the same webhook-id on every attempt');
  assert.ok(tries.every((x) => x.body === tries[0]!.body), 'the same body on every attempt');
  for (const x of tries) assert.equal(verified(x, e.secret).type, 'cta.clicked');
  const log = await waitFor('the log of three attempts', async () => {
    const d = (await api('GET', `/v1/webhook-endpoints/${e.id}/deliveries`)).body.deliveries;
    return d.length === 3 && d;
  });
  assert.deepEqual(log.map((a: any) => [a.attempt, a.status_code, a.delivered]), [[3, 200, true], [2, 500, false], [1, 500, false]]);
  assert.ok(log.every((a: any) => a.delivery_id === id && a.event_type === 'cta.clicked' && a.duration_ms >= 0));
  assert.equal(log[1].error, 'http_status (500)');

  const re = await api('POST', `/v1/webhook-endpoints/${e.id}/deliveries/${id}/redeliver`);
  assert.equal(re.status, 202);
  await waitFor('the redelivery', () => at('/flaky').length === 4);
  const again = at('/flaky')[3]!;
  assert.equal(again.headers['webhook-id'], id);
  assert.equal(verified(again, e.secret).data.render_id, r.id);
  const log2 = await waitFor('the manual attempt in the log', async () => {
    const d = (await api('GET', `/v1/webhook-endpoints/${e.id}/deliveries?limit=1`)).body.deliveries;
    return d[0]?.manual && d;
  });
  assert.equal(log2.length, 1);
  assert.deepEqual([log2[0].attempt, log2[0].status_code, log2[0].delivered], [1, 200, true]);
  assert.equal((await api('POST', `/v1/webhook-endpoints/${e.id}/deliveries/msg_AAAAAAAAAAAAAAAAAAAAAA/redeliver`)).status, 404);
  await api('DELETE', `/v1/webhook-endpoints/${e.id}`);
});

test('viewer beacons become video.* events, each once per render however often the page reports it; a disabled endpoint gets nothing', async () => {
  const e = await endpoint('/viewer', ['video.started', 'video.progress', 'video.completed']);
  const off = await endpoint('/off', ['video.started', 'video.progress', 'video.completed', 'cta.clicked']);
  assert.equal((await api('PATCH', `/v1/webhook-endpoints/${off.id}`, { enabled: false })).status, 200);
  const r = await lazyRender('viewer-1');
  const sent = [
    { type: 'video.started' }, { type: 'video.started' },
    { type: 'video.progress', percent: 25 }, { type: 'video.progress', percent: 25 },
    { type: 'video.progress', percent: 50 }, { type: 'video.completed' }, { type: 'video.completed' },
    { type: 'cta.clicked' }, // not subscribed
  ];
  for (const b of sent) assert.equal((await beacon(r.token, b)).status, 204);
  await waitFor('four events', () => at('/viewer').length >= 4);
  await new Promise((res) => setTimeout(res, 500)); // room for any duplicate to arrive
  const evs = at('/viewer').map((x) => verified(x, e.secret));
  assert.deepEqual(evs.map((v) => `${v.type}${v.data.percent ?? ''}`).sort(), ['video.completed', 'video.progress25', 'video.progress50', 'video.started']);
  assert.ok(evs.every((v) => v.data.render_id === r.id && v.data.external_id === 'viewer-1'));
  assert.equal(at('/off').length, 0, 'the disabled endpoint got nothing');

  // Bad beacons: the one error shape; a forged token is refused.
  const noPercent = await beacon(r.token, { type: 'video.progress' });
  assert.equal(noPercent.status, 422);
  assert.deepEqual((await noPercent.json()).error.problems, [{ pointer: '/percent', message: 'is required' }]);
  const stray = await beacon(r.token, { type: 'video.started', percent: 25 });
  assert.equal(stray.status, 422);
  assert.deepEqual((await stray.json()).error.problems, [{ pointer: '/percent', message: 'goes only with type video.progress' }]);
  assert.equal((await beacon(r.token, { type: 'video.paused' })).status, 422);
  assert.equal((await beacon(`${r.token.slice(0, -2)}xx`, { type: 'video.started' })).status, 403);
  const pre = await fetch(`${base}/v/${r.token}/events`, { method: 'OPTIONS', headers: { origin: 'https://lp.example.jp', 'access-control-request-method': 'POST' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  // The player page reports them.
  const page = await (await fetch(r.player_url)).text();
  const script = /<script defer src="(\/player\/watch\.[0-9a-f]+\.js)">/.exec(page)?.[1];
  assert.ok(script, 'the page loads its script');
  assert.match(await (await fetch(new URL(script, r.player_url))).text(), /sendBeacon\(["']events["']/);
  await api('DELETE', `/v1/webhook-endpoints/${e.id}`);
  await api('DELETE', `/v1/webhook-endpoints/${off.id}`);
});

test('an endpoint bound to a connector gets only renders made through it, and the payload names the connector', async () => {
  // A real connector (generic kind, bearer key): the hook's render carries the connector's id.
  const key = 'events-connector-key-0123456789';
  const conn = await api('POST', '/v1/connectors', { kind: 'generic', name: 'events test', template: TINY, mode: 'lazy', secrets: [key], mapping: { name: '/name' }, contact: '/contact' });
  assert.equal(conn.status, 201, JSON.stringify(conn.body));
  const hub = await endpoint('/hub', ['cta.clicked'], { connector: conn.body.id });
  const plain = await lazyRender('conn-0');
  const hook = await fetch(`${base}/hooks/${conn.body.id}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: NAME, contact: 'crm-7' }) });
  assert.equal(hook.status, 201);
  const viaHook = (await hook.json()) as { render_id: string; watch_url: string };
  await beacon(plain.token, { type: 'cta.clicked' });
  await beacon(viaHook.watch_url.split('/v/')[1]!.replace(/\/$/, ''), { type: 'cta.clicked' });
  const got = await waitFor('the connector\'s event', () => at('/hub')[0]);
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(at('/hub').length, 1);
  const ev = verified(got, hub.secret);
  assert.equal(ev.data.render_id, viaHook.render_id);
  assert.equal(ev.data.connector, conn.body.id);
  await api('DELETE', `/v1/webhook-endpoints/${hub.id}`);
  await api('DELETE', `/v1/connectors/${conn.body.id}`);
});

test('an endpoint failing for longer than KASANE_EVENT_DISABLE_AFTER_DAYS is disabled, with the reason shown', async () => {
  const e = await endpoint('/down', ['cta.clicked']);
  failFirst.set('/down', 'always');
  // Its failures began six days ago (the default limit is five).
  await redis.hset(`kasane:wh:endpoint:${e.id}`, 'failingSince', String(Date.now() - 6 * 86_400_000));
  const r = await lazyRender('down-1');
  await beacon(r.token, { type: 'cta.clicked' });
  const got = await waitFor('the endpoint disabled', async () => {
    const g = (await api('GET', `/v1/webhook-endpoints/${e.id}`)).body;
    return !g.enabled && g;
  });
  assert.match(got.disabled_reason, /disabled automatically: every delivery failed for 6 day/);
  await new Promise((res) => setTimeout(res, 800)); // past the first retry delay
  assert.equal(at('/down').length, 1, 'no retries once disabled');
  // Enabling it again clears the reason and the streak.
  const on = (await api('PATCH', `/v1/webhook-endpoints/${e.id}`, { enabled: true })).body;
  assert.deepEqual([on.enabled, on.disabled_reason, on.failing_since], [true, null, null]);
  await api('DELETE', `/v1/webhook-endpoints/${e.id}`);
});

test('no signing secret and no personal data ever reaches the log', () => {
  assert.ok(secrets.length >= 6);
  assert.match(logText, /event delivered/, 'deliveries are logged');
  for (const s of secrets) {
    assert.ok(!logText.includes(s), 'a secret is in the log');
    assert.ok(!logText.includes(s.slice(6, 20)), 'part of a secret is in the log');
  }
  assert.ok(!logText.includes(NAME));
});
