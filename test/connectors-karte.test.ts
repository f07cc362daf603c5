// KARTE Hook v2 end to end: a request signed the KARTE way (X-Karte-Signature =
// HMAC-SHA256 of "<X-Karte-Request-Timestamp>:<body>" with the Client Secret,
// hex or base64) renders; a duplicate delivery answers the same render; tampered
// bodies, wrong secrets, stale or future timestamps and missing headers are 401
// with nothing stored. Real service, Redis, HTTP, ffmpeg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startTestService, type TestService } from './helpers/service.ts';
import { checkRender } from './helpers/stream.ts';
import { runFfmpeg } from '../src/video/ffmpeg.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-karte-'));
const TPL = 'karte-tiny';
const SECRET = 'KarteClientSecret';
// The body of kinds-spec.md §5.2 (illustrative: Hook v2's body depends on the trigger).
const BODY = '{"id":"evt_01","type":"kasane/render","data":{"user_id":"u_123","lastname":"山田","firstname":"太郎","savings":"125000"}}';
let t: TestService;
let redis: Redis;

before(async () => {
  const dir = path.join(root, 'templates', TPL);
  mkdirSync(dir, { recursive: true });
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path.join(dir, 'clip.mp4')]);
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id: TPL, name: 'karte tiny', video: { file: 'clip.mp4' }, encoder: { preset: 'ultrafast' },
    fields: { name: { type: 'string', required: true, maxLength: 20 }, amount: { type: 'integer', required: true, minimum: 0 } },
    layers: [{ id: 'hi', type: 'text', start: 1, end: 2, box: { x: 10, y: 60, width: 300, height: 60 }, text: '{{name}} {{amount}}', style: { fontSize: 24, color: '#ffffff' } }],
  }));
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'templates'), KASANE_STORAGE_DIR: path.join(root, 'storage'), KASANE_RENDER_ATTEMPTS: '1' } });
  await t.svc.prepareBundled();
  redis = new Redis({ path: path.join(t.varDir, 'redis', 'redis.sock'), maxRetriesPerRequest: null });
});

after(async () => {
  redis?.disconnect();
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

async function connector(extra: Record<string, unknown> = {}) {
  const res = await t.api('POST', '/v1/connectors', {
    kind: 'karte', name: 'KARTE Talk', template: TPL, secrets: ['an-older-client-secret-0123', SECRET], contact: '/data/user_id', campaign: { value: 'talk' },
    mapping: { name: { join: ['/data/lastname', '/data/firstname'], sep: ' ' }, amount: '/data/savings' }, ...extra,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string };
}

function karteHeaders(body: string, opts: { secret?: string; at?: number; encoding?: 'hex' | 'base64'; prefix?: string } = {}) {
  const ts = String(opts.at ?? Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', opts.secret ?? SECRET).update(`${ts}:${body}`).digest(opts.encoding ?? 'hex');
  return { 'content-type': 'application/json', 'x-karte-request-timestamp': ts, 'x-karte-signature': (opts.prefix ?? '') + sig };
}

async function hook(id: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${t.url}/hooks/${id}`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, text, body: (() => { try { return JSON.parse(text); } catch { return text; } })() };
}

async function stored() {
  const keys = (await redis.keys('kasane:*')).sort();
  const jobs = (await redis.keys('bull:*')).filter((k) => /:\d+$|:r[A-Za-z0-9]+$/.test(k)).sort();
  return JSON.stringify({ keys, jobs });
}

async function waitState(id: string, want: string[], ms = 60_000): Promise<any> {
  for (const end = Date.now() + ms; ; ) {
    const r = (await t.api('GET', `/v1/renders/${id}`)).body;
    if (want.includes(r.state)) return r;
    if (Date.now() > end) throw new Error(`render ${id} still ${r.state}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

test('a signed Hook v2 request renders a stream that passes the checks; the duplicate delivery (base64, sha256= prefix) answers the same render', async () => {
  const c = await connector({ mode: 'eager' });
  const a = await hook(c.id, BODY, karteHeaders(BODY));
  assert.equal(a.status, 201, a.text);
  assert.equal(a.body.external_id, `${c.id}:u_123:talk`);
  const data = JSON.parse((await redis.hget(`kasane:render:${a.body.render_id}`, 'data'))!);
  assert.deepEqual(data, { name: '山田 太郎', amount: 125000 });
  const done = await waitState(a.body.render_id, ['done', 'failed']);
  assert.equal(done.state, 'done', done.error);
  const report = await checkRender(t, TPL, a.body.playlist_url);
  assert.deepEqual(report.failures, []);

  const before = await stored();
  for (const h of [karteHeaders(BODY, { encoding: 'base64' }), karteHeaders(BODY, { prefix: 'sha256=' }), { ...karteHeaders(BODY), 'x-karte-signature': karteHeaders(BODY)['x-karte-signature'].toUpperCase() }]) {
    const b = await hook(c.id, BODY, h);
    assert.equal(b.status, 200, b.text);
    assert.equal(b.body.render_id, a.body.render_id);
    assert.equal(b.body.watch_url, a.body.watch_url);
  }
  assert.equal(await stored(), before);
});

test('tampered, wrong-secret, stale, future and unsigned requests get 401 and unknown connectors 404, with nothing stored', async () => {
  const c = await connector();
  const before = await stored();
  const now = Math.floor(Date.now() / 1000);
  const cases: Array<[string, number, string, Record<string, string>]> = [
    ['tampered body', 401, BODY.replace('125000', '999999'), karteHeaders(BODY)],
    ['wrong secret', 401, BODY, karteHeaders(BODY, { secret: 'not-the-client-secret' })],
    ['wrong secret, base64', 401, BODY, karteHeaders(BODY, { secret: 'not-the-client-secret', encoding: 'base64' })],
    ['stale timestamp', 401, BODY, karteHeaders(BODY, { at: now - 6 * 60 })],
    ['future timestamp', 401, BODY, karteHeaders(BODY, { at: now + 6 * 60 })],
    ['timestamp in ms', 401, BODY, karteHeaders(BODY, { at: Date.now() })],
    ['timestamp not signed', 401, BODY, { ...karteHeaders(BODY, { at: now - 1 }), 'x-karte-request-timestamp': String(now) }],
    ['no signature', 401, BODY, { 'content-type': 'application/json', 'x-karte-request-timestamp': String(now) }],
    ['no headers', 401, BODY, { 'content-type': 'application/json' }],
    ['unknown connector', 404, BODY, karteHeaders(BODY)],
  ];
  for (const [what, status, body, headers] of cases) {
    const r = await hook(what === 'unknown connector' ? 'c_AAAAAAAAAAAAAAAA' : c.id, body, headers);
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.equal(typeof r.body.error?.code, 'string', what);
    assert.ok(!r.text.includes('山田'), `${what} echoes the payload`);
  }
  assert.equal(await stored(), before);
});
