// The API's edges: every client mistake answered in the one error shape,
// credentials kept out of the log, previews off the event loop, repeats after
// expiry, shared segments addressed by template version, and a queue that
// survives Redis trouble. Real service, real Redis, real HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { startTestService, API_KEY, SHARED_STORAGE, withBrokenMezzanine, readPlan, connectTestRedis, redisSocket, type TestService } from './helpers/service.ts';
import { textLayer, writeTinyTemplate } from './helpers/tiny-template.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { signToken } from '../src/viewer/signing.ts';
import { redisServerPath } from '../src/queue/embedded-redis.ts';
import { enqueueContinuation, PRIORITY, RENDER_QUEUE, renderJobId } from '../src/queue/queues.ts';
import { freePort, waitFor } from './support/net.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-hardening-'));
const templates = path.join(root, 'templates');
const TINY = 'hardening-tiny';
const SIGNING = [{ id: 'k1', secret: Buffer.from('test-signing-secret-0123456789') }];
let t: TestService;
let redis: Redis;
let queue: Queue;

before(async () => {
  // A tiny template of our own (320x180, 3 s, one personalized second) and the
  // bundled portrait sample (its prepared version is shared with engine.test.ts).
  await writeTinyTemplate(templates, { id: TINY, name: 'tiny', fields: { name: { type: 'string', required: true, maxLength: 10, example: '山田' } }, layers: [textLayer('{{name}}', 32)] });
  cpSync(path.join(PROJECT_ROOT, 'templates', 'phone-plan'), path.join(templates, 'phone-plan'), { recursive: true });
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: templates, KASANE_RENDER_ATTEMPTS: '1', KASANE_JIT_WAIT_MS: '300' } });
  await t.svc.prepareBundled();
  redis = connectTestRedis(t.varDir);
  queue = new Queue(RENDER_QUEUE, { connection: { path: redisSocket(t.varDir), maxRetriesPerRequest: null } });
});

after(async () => {
  await queue?.resume().catch(() => {});
  await queue?.close();
  redis?.disconnect();
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

const MARK = 'ZQXJ7secretinput';
/** Personal segments are content-addressed in storage kept across runs: fresh data renders afresh. */
const fresh = (name: string) => `${name}${Date.now() % 1_000_000}`;

async function raw(method: string, p: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(t.url + p, { method, headers: { authorization: `Bearer ${API_KEY}`, ...headers }, body });
  const text = await res.text();
  return { status: res.status, text, json: (() => { try { return JSON.parse(text); } catch { return null; } })() };
}

test('client mistakes get a precise 4xx in the one error shape, with a pointer, never echoing the input', async () => {
  const json = { 'content-type': 'application/json' };
  const cases: Array<{ what: string; req: [string, string, string?, Record<string, string>?]; status: number; pointer?: string }> = [
    { what: 'preview version with a space', req: ['POST', `/v1/templates/${TINY}/preview`, JSON.stringify({ version: `a b${MARK}` }), json], status: 422, pointer: '/version' },
    { what: 'preview body with toString', req: ['POST', `/v1/templates/${TINY}/preview`, '{"toString":1}', json], status: 422, pointer: '/toString' },
    { what: 'preview version of 300 characters', req: ['POST', `/v1/templates/${TINY}/preview`, JSON.stringify({ version: MARK + 'v'.repeat(284) }), json], status: 422, pointer: '/version' },
    { what: 'activate a template id with a space', req: ['POST', `/v1/templates/a%20b${MARK}/activate`, '{"version":"v0123456789abcdef"}', json], status: 400, pointer: 'path:id' },
    { what: 'upload without a multipart boundary', req: ['POST', '/v1/templates', `--${MARK}\r\n`, { 'content-type': 'multipart/form-data' }], status: 400, pointer: 'form:package' },
    { what: 'upload with ?wait=maybe', req: ['POST', `/v1/templates?wait=${MARK}`, '{}', json], status: 400, pointer: 'query:wait' },
    { what: 'template id in capitals', req: ['GET', `/v1/templates/${MARK}`], status: 400, pointer: 'path:id' },
    { what: 'render id with punctuation', req: ['GET', `/v1/renders/x!${MARK}`], status: 400, pointer: 'path:id' },
    { what: 'unknown property in an accept', req: ['POST', '/v1/renders', JSON.stringify({ template: TINY, data: { name: 'a' }, extra: MARK }), json], status: 422, pointer: '/extra' },
    { what: 'a path parameter over 100 characters', req: ['GET', `/v1/renders/${MARK}${'a'.repeat(120)}`], status: 414 },
    { what: 'an unknown route', req: ['GET', `/v1/${MARK}`], status: 404 },
    { what: 'a body that is not JSON', req: ['POST', '/v1/renders', `{"template": "${MARK}`, json], status: 400 },
    { what: 'a text/plain body', req: ['POST', '/v1/renders', MARK, { 'content-type': 'text/plain' }], status: 415 },
    { what: 'a body over the limit', req: ['POST', '/v1/renders', JSON.stringify({ template: TINY, data: { name: MARK.repeat(30_000) } }), json], status: 413 },
    { what: 'a bad percent-encoding', req: ['GET', `/v1/templates/%E0%A4%A${MARK}`], status: 400 },
    { what: 'a segment name that is not <n>.ts', req: ['GET', `/v/abc.1.k1.${'a'.repeat(22)}/${MARK}.txt`], status: 400, pointer: 'path:seg' },
  ];
  for (const c of cases) {
    const r = await raw(...c.req);
    assert.equal(r.status, c.status, `${c.what}: ${r.status} ${r.text.slice(0, 300)}`);
    assert.ok(r.json?.error && typeof r.json.error.code === 'string' && typeof r.json.error.message === 'string', `${c.what}: error shape, got ${r.text.slice(0, 200)}`);
    assert.deepEqual(Object.keys(r.json), ['error'], c.what);
    assert.ok(!r.text.includes(MARK), `${c.what}: the answer echoes the input: ${r.text.slice(0, 300)}`);
    if (c.pointer) {
      const pointers = (r.json.error.problems ?? []).map((p: { pointer: string }) => p.pointer);
      assert.ok(pointers.includes(c.pointer), `${c.what}: pointers ${JSON.stringify(pointers)}`);
    }
  }
});

test('the request log never holds a credential from a URL, nor a submitted value', async () => {
  const varDir = mkdtempSync(path.join(root, 'logvar-'));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'api'], {
    env: { ...t.env, KASANE_VAR_DIR: varDir, PORT: String(port), LOG_LEVEL: 'info', PUBLIC_URL: `http://127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok === true, 30_000);
    const secrets = ['KEYa1b2c3d4e5f6', 'TOKg7h8i9j0', 'ACCk1l2m3n4', 'SIGo5p6q7r8', 'APIs9t0u1v2'];
    const token = signToken(SIGNING, 'rsecretrender00000000000', Math.floor(Date.now() / 1000) + 3600);
    const urls = [
      `/v1/templates?api_key=${secrets[0]}&page=2`,
      `/v1/templates?token=${secrets[1]}`,
      `/nowhere?access_token=${secrets[2]}&sig=${secrets[3]}`,
      `/v1/renders/abc?X-Api-Key=${secrets[4]}`,
      `/v/${token}/index.m3u8`,
    ];
    for (const u of urls) await (await fetch(base + u, { headers: { authorization: `Bearer ${API_KEY}` } })).arrayBuffer();
    // Submitted values that once reached the error log through a 500.
    await (await fetch(`${base}/v1/templates/${TINY}/preview`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ version: `a b ${MARK}` }) })).arrayBuffer();
    await (await fetch(`${base}/v1/templates/a%20${MARK}/activate`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: '{"version":"v0123456789abcdef"}' })).arrayBuffer();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  assert.match(out, /api_key=<redacted>&page=2/, 'the request log keeps the URL shape');
  for (const s of ['KEYa1b2c3d4e5f6', 'TOKg7h8i9j0', 'ACCk1l2m3n4', 'SIGo5p6q7r8', 'APIs9t0u1v2', 'rsecretrender', API_KEY]) {
    assert.ok(!out.includes(s), `the log holds "${s}": ${out.split('\n').find((l) => l.includes(s))}`);
  }
  // The request log names the path (a template id is no secret); warnings and errors never hold what was sent.
  const problems = out.split('\n').filter((l) => /"level":(4|5|6)\d/.test(l));
  assert.deepEqual(problems.filter((l) => l.includes(MARK) || l.includes('a b')), []);
  assert.ok(!out.includes('unhandled error'), `a client mistake became a 500: ${problems.join('\n').slice(0, 600)}`);
});

test('a preview is drawn off the event loop: other requests are answered meanwhile', async () => {
  // Warm: base frames extracted and cached, fonts registered.
  const warm = await t.api('POST', '/v1/templates/phone-plan/preview', { worst: true });
  assert.equal(warm.status, 200, JSON.stringify(warm.body).slice(0, 300));
  const h = monitorEventLoopDelay({ resolution: 5 });
  const slow: number[] = [];
  let done = false;
  h.enable();
  const t0 = performance.now();
  const preview = t.api('POST', '/v1/templates/phone-plan/preview', { worst: true }).finally(() => (done = true));
  while (!done) {
    const s = performance.now();
    const r = await fetch(`${t.url}/healthz`);
    await r.arrayBuffer();
    slow.push(performance.now() - s);
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = performance.now() - t0;
  h.disable();
  const r = await preview;
  assert.equal(r.status, 200);
  assert.equal(r.body.stills.length, 4);
  const blocked = h.max / 1e6;
  console.log(`# preview ${ms.toFixed(0)} ms; longest event-loop block ${blocked.toFixed(0)} ms; slowest /healthz ${Math.max(...slow).toFixed(0)} ms over ${slow.length}`);
  // Drawn on the event loop, one still's drawing and PNG encoding alone block it for well over 150 ms.
  assert.ok(blocked < 150, `the event loop was blocked for ${blocked.toFixed(0)} ms during a ${ms.toFixed(0)} ms preview`);
  assert.ok(slow.length >= 3, 'health checks were answered while the preview ran');
});

test('a repeat after the link expired hands back a live link, never a dead one', async () => {
  const body = { template: TINY, data: { name: '期限' }, external_id: 'expiry-1', mode: 'lazy' };
  const a = await t.api('POST', '/v1/renders', body);
  assert.equal(a.status, 201);
  // The link ran out (the record stays a while after its expiry): as a 60 s link would after a minute.
  const key = `kasane:render:${a.body.id}`;
  const meta = JSON.parse((await redis.hget(key, 'meta'))!);
  const past = Math.floor(Date.now() / 1000) - 10;
  await redis.hset(key, 'meta', JSON.stringify({ ...meta, expiresAt: past, token: signToken(SIGNING, a.body.id, past) }));
  const dead = (await t.api('GET', `/v1/renders/${a.body.id}`)).body;
  assert.equal((await fetch(dead.playlist_url)).status, 410, 'the old link is dead');
  const b = await t.api('POST', '/v1/renders', body);
  assert.ok(b.status === 200 || b.status === 201, JSON.stringify(b.body));
  assert.equal(b.body.id, a.body.id, 'the same render');
  assert.ok(Date.parse(b.body.expires_at) > Date.now() + 30_000, `expires_at ${b.body.expires_at} is in the future`);
  const pl = await fetch(b.body.playlist_url);
  assert.equal(pl.status, 200);
  assert.match(await pl.text(), /#EXTM3U/);
  // The status route hands out the same live link.
  assert.equal((await t.api('GET', `/v1/renders/${a.body.id}`)).body.playlist_url, b.body.playlist_url);
});

test('shared segments are addressed by template version (CDN-cacheable without the token), personal ones by token', async () => {
  const a = await t.api('POST', '/v1/renders', { template: TINY, data: { name: '共有' }, mode: 'lazy' });
  const tpl = (await t.api('GET', `/v1/templates/${TINY}`)).body;
  const text = await (await fetch(a.body.playlist_url)).text();
  const uris = text.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.equal(uris.length, tpl.segments.total);
  const shared = uris.filter((u) => u.startsWith('/s/'));
  assert.equal(shared.length, tpl.segments.total - tpl.segments.personalized);
  for (const u of shared) assert.match(u, new RegExp(`^/s/${TINY}/${tpl.version}/\\d+\\.ts$`));
  for (const u of uris.filter((x) => !x.startsWith('/s/'))) assert.match(u, /^\d+\.ts$/, 'personal segments stay under the token');
  // No token, no cookie: public and immutable, and the same bytes the token path gives.
  const s0 = await fetch(t.url + shared[0]);
  assert.equal(s0.status, 200);
  assert.match(s0.headers.get('cache-control')!, /public.*immutable/);
  const viaToken = Buffer.from(await (await fetch(a.body.playlist_url.replace('index.m3u8', shared[0]!.split('/').pop()!))).arrayBuffer());
  assert.ok(Buffer.from(await s0.arrayBuffer()).equals(viaToken));
  // Another template's first segment has another path: a cache can never mix them.
  const other = (await t.api('GET', '/v1/templates/phone-plan')).body;
  const otherRender = await t.api('POST', '/v1/renders', { template: 'phone-plan', data: other.example, mode: 'lazy' });
  const otherUris = (await (await fetch(otherRender.body.playlist_url)).text()).split('\n').filter((l) => l.startsWith('/s/'));
  assert.ok(!otherUris.includes(shared[0]!));
  // A personalized position has no shared bytes: /s/ refuses it.
  const dyn = uris.findIndex((u) => !u.startsWith('/s/'));
  assert.equal((await fetch(`${t.url}/s/${TINY}/${tpl.version}/${dyn}.ts`)).status, 404);
  assert.equal((await fetch(`${t.url}/s/${TINY}/v0000000000000000/0.ts`)).status, 404);
});

test("a viewer's bump reaches the render's current part even when earlier parts' jobs are gone", async () => {
  await queue.pause();
  try {
    const r = await t.api('POST', '/v1/renders', { template: TINY, data: { name: fresh('続') } });
    assert.equal(r.status, 201);
    const id: string = r.body.id;
    // What a worker leaves after a first part under load: the record names part 1, whose job
    // waits behind everyone's first segments; part 0's completed job has since been trimmed.
    await redis.hset(`kasane:render:${id}`, 'part', '1');
    await enqueueContinuation(queue, id, 1, PRIORITY.later);
    await (await queue.getJob(renderJobId(id, 0)))!.remove();
    // The viewer reaches the personalized segment: the wait runs out (the queue is paused) …
    const seg = await fetch(r.body.playlist_url.replace('index.m3u8', '1.ts'));
    assert.equal(seg.status, 503);
    await seg.arrayBuffer();
    // … but the waiting part now has the viewer's priority.
    const job = await queue.getJob(renderJobId(id, 1));
    assert.equal(job!.priority, PRIORITY.viewer);
    await queue.resume();
    assert.equal((await t.waitState(id, ['done', 'failed'])).state, 'done');
  } finally {
    await queue.resume();
  }
});

test('a failure whose record write was lost still shows as failed, from the job itself', async () => {
  const r = (await t.api('POST', '/v1/renders', { template: TINY, data: { name: fresh('失') }, mode: 'lazy' })).body;
  const plan = readPlan(TINY, r.version);
  await withBrokenMezzanine(TINY, r.version, async () => {
    assert.equal((await fetch(r.playlist_url)).status, 200); // starts the lazy render
    await t.waitState(r.id, ['failed']);
  });
  // The worker's markError never landed (Redis away at that moment): the record still says rendering.
  const loseTheWrite = async () => {
    await redis.hset(`kasane:render:${r.id}`, 'state', 'rendering');
    await redis.hdel(`kasane:render:${r.id}`, 'error', 'finishedAt');
  };
  await loseTheWrite();
  // A viewer gets the whole un-personalized video at once, not a 503 after every wait.
  const dyn = plan.segments.findIndex((s: any) => s.kind === 'dynamic');
  const seg = await fetch(r.playlist_url.replace('index.m3u8', `${dyn}.ts`));
  assert.equal(seg.status, 200);
  assert.ok(Buffer.from(await seg.arrayBuffer()).equals(readFileSync(path.join(SHARED_STORAGE, plan.segments[dyn]!.key))), 'the template segment');
  await loseTheWrite();
  const st = (await t.api('GET', `/v1/renders/${r.id}`)).body;
  assert.equal(st.state, 'failed');
  assert.ok(st.error && !st.error.includes('失'));
  assert.equal(await redis.hget(`kasane:render:${r.id}`, 'state'), 'failed', 'the record is repaired');
});

test('a worker process survives Redis going away, says so in its log, and comes back', async () => {
  const port = await freePort();
  const dir = mkdtempSync(path.join(root, 'redis-'));
  const startRedis = () => spawn(redisServerPath(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  let server: ChildProcess = startRedis();
  const probe = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, retryStrategy: () => 100 });
  probe.on('error', () => {});
  const varDir = mkdtempSync(path.join(root, 'workervar-'));
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'worker'], {
    env: { ...t.env, KASANE_VAR_DIR: varDir, REDIS_URL: `redis://127.0.0.1:${port}`, KASANE_WORKER_NICE: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  let exited: number | null | string = null;
  child.on('exit', (code, sig) => (exited = code ?? sig));
  // Every connection but the probe's own (bounded: a command to a server that is away would wait for it).
  const clients = async () => {
    const list = (await Promise.race([probe.client('LIST'), new Promise((_r, no) => setTimeout(() => no(new Error('no answer')), 1000))])) as string;
    return list.split('\n').filter((l) => l.trim() && !l.includes('cmd=client')).length;
  };
  try {
    await waitFor(async () => (await probe.ping()) === 'PONG', 15_000);
    // The worker is up once BullMQ's connections are there.
    await waitFor(async () => (await clients()) > 0, 30_000);
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(exited, null, `the worker process ended when Redis went away: ${out.slice(-600)}`);
    server = startRedis();
    await waitFor(async () => (await clients().catch(() => 0)) > 0, 30_000);
    assert.equal(exited, null, `the worker process ended: ${out.slice(-600)}`);
    // Heard and logged as one structured line each, not left to BullMQ's fallback (a bare stack trace on stderr).
    const lines = out.split('\n').filter((l) => l.trim());
    assert.ok(lines.length > 0, 'the outage was logged');
    const unstructured = lines.filter((l) => !l.startsWith('{'));
    assert.deepEqual(unstructured.slice(0, 5), [], 'every line is a structured log entry');
  } finally {
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    if (exited === null) await new Promise((r) => child.once('exit', r));
    clearTimeout(kill);
    probe.disconnect();
    server.kill('SIGKILL');
  }
});

