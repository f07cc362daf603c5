// API keys with scopes, against a real service (real HTTP, real Redis): every
// registered route — including ones added later — refuses a missing key (401)
// and a key without its scope (403), and lets a key with it through; keys are
// created, shown once, listed without secrets and revoked at once in a second
// API process; a leaked MA (render) key cannot replace a template or repoint
// where webhooks go.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { startTestService, connectTestRedis, API_KEY, type TestService } from './helpers/service.ts';
import { runFfmpeg } from './support/ffmpeg-run.ts';
import { startService } from '../src/runtime.ts';
import { installAuth, routeTable, withScope } from '../src/api/auth.ts';
import { ApiKeyStore } from '../src/access/keys.ts';
import type { ApiScope, RouteScope } from '../src/access/scopes.ts';
import { loadConfig, ConfigError, PROJECT_ROOT } from '../src/config/index.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';

/** A second key in the environment, scoped to render: "secret:render". */
const ENV_RENDER_KEY = 'env-render-key-0123456789';
const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-scopes-'));
let t: TestService;
const keys: Record<'render' | 'template' | 'admin', { id: string; secret: string }> = {} as never;

async function call(method: string, url: string, key?: string, body?: unknown) {
  const res = await fetch(t.url + url, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, text, body: json, headers: res.headers };
}

async function createKey(name: string, scopes: ApiScope[]) {
  const r = await t.api('POST', '/v1/keys', { name, scopes });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { id: r.body.id as string, secret: r.body.secret as string };
}

before(async () => {
  t = await startTestService({
    worker: false,
    env: { KASANE_API_KEYS: `${API_KEY},${ENV_RENDER_KEY}:render`, KASANE_TEMPLATES_DIR: path.join(root, 'none'), KASANE_STORAGE_DIR: path.join(root, 'storage'), KASANE_EVENT_ALLOW_PRIVATE: '1' },
  });
  keys.render = await createKey('MA tool', ['render']);
  keys.template = await createKey('CRM operator', ['template']);
  keys.admin = await createKey('ops', ['admin']);
});

after(async () => {
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The rule, written out here rather than taken from the code under test: admin passes, else one of the route's scopes. */
function mayCall(held: ApiScope[], scope: RouteScope): boolean {
  return held.includes('admin') || (typeof scope === 'string' ? [scope] : scope).some((s) => held.includes(s as ApiScope));
}

/** A URL for a route pattern: parameters get a well-formed id nothing has (so handlers answer 4xx, not change things). */
function concrete(url: string): string {
  return url
    .replace(/:id\b/g, url.startsWith('/v1/keys') ? 'key_0000000000000000' : 'none0')
    .replace(/:[A-Za-z]+/g, 'none0')
    .replace(/\*$/, 'none0');
}

test('every registered route declares a scope, and the one hook enforces it for every key', async () => {
  const routes = routeTable(t.svc.app!);
  assert.ok(routes.length >= 40, `only ${routes.length} routes found`);
  const key = (method: string, url: string) => routes.find((r) => r.method === method && r.url === url)?.scope;
  // The assignments the issue asks for (a route moved to a wider scope fails here, not in production).
  const expected: Array<[string, string, RouteScope]> = [
    ['POST', '/v1/renders', 'render'],
    ['GET', '/v1/renders/:id', ['render', 'template']],
    ['POST', '/v1/templates', 'template'],
    ['POST', '/v1/templates/:id/activate', 'template'],
    ['POST', '/v1/templates/:id/rollback', 'template'],
    ['POST', '/v1/templates/:id/preview', 'template'],
    ['GET', '/v1/templates/:id/versions', 'template'],
    ['PUT', '/v1/templates/:id/catalog', 'template'],
    ['GET', '/v1/templates/:id/catalog', ['render', 'template']],
    ['GET', '/v1/templates', ['render', 'template']],
    ['GET', '/v1/templates/:id/stats', 'template'],
    ['POST', '/v1/connectors', 'template'],
    ['PATCH', '/v1/webhook-endpoints/:id', 'template'],
    ['POST', '/v1/batches', ['render', 'template']],
    ['POST', '/v1/keys', 'admin'],
    ['DELETE', '/v1/keys/:id', 'admin'],
    ['GET', '/v1/keys/self', ['render', 'template', 'admin']],
    ['POST', '/hooks/:connectorId', 'public'],
    ['GET', '/v/:token/index.m3u8', 'public'],
    ['GET', '/s/:template/:version/:seg', 'public'],
    ['GET', '/healthz', 'public'],
  ];
  for (const [m, u, s] of expected) assert.deepEqual(key(m, u), s, `${m} ${u}`);

  const callers: Array<[string, string, ApiScope[]]> = [
    ['stored render key', keys.render.secret, ['render']],
    ['stored template key', keys.template.secret, ['template']],
    ['stored admin key', keys.admin.secret, ['admin']],
    ['environment admin key', API_KEY, ['admin']],
    ['environment render key', ENV_RENDER_KEY, ['render']],
  ];
  const unknownKey = 'ksk_' + 'A'.repeat(43);
  for (const r of routes) {
    const url = concrete(r.url);
    const what = `${r.method} ${r.url}`;
    const bare = await call(r.method, url);
    if (r.scope === 'public') {
      // Public URLs carry their own signatures: a bearer key changes nothing, its absence is no 401.
      const withKey = await call(r.method, url, keys.render.secret);
      assert.equal(withKey.status, bare.status, what);
      for (const res of [bare, withKey]) {
        assert.ok(!/^Bearer/.test(res.headers.get('www-authenticate') ?? ''), `${what} asked for an API key`);
        assert.ok(!['unauthorized', 'insufficient_scope'].includes(res.body?.error?.code) || r.url.startsWith('/hooks/'), `${what}: ${res.text}`);
      }
      continue;
    }
    assert.equal(bare.status, 401, `${what} without a key`);
    // Pages a browser opens itself (the queue dashboard) ask for the key as a Basic password.
    assert.equal(bare.headers.get('www-authenticate'), r.url.startsWith('/admin/') ? 'Basic realm="Kasane admin", charset="UTF-8"' : 'Bearer', what);
    if (r.method !== 'HEAD') assert.equal(bare.body.error.code, 'unauthorized', what);
    const unknown = await call(r.method, url, unknownKey);
    assert.equal(unknown.status, 401, `${what} with an unknown key`);
    assert.match(unknown.headers.get('www-authenticate') ?? '', r.url.startsWith('/admin/') ? /^Basic realm=/ : /invalid_token/);
    for (const [who, secret, scopes] of callers) {
      const res = await call(r.method, url, secret);
      if (mayCall(scopes, r.scope)) {
        assert.ok(res.status !== 401 && res.status !== 403, `${what} refused the ${who}: ${res.status} ${res.text}`);
      } else {
        assert.equal(res.status, 403, `${what} let the ${who} through: ${res.status}`);
        assert.match(res.headers.get('www-authenticate') ?? '', /insufficient_scope/);
        if (r.method === 'HEAD') continue;
        assert.equal(res.body.error.code, 'insufficient_scope', what);
        const needed = typeof r.scope === 'string' ? [r.scope] : r.scope;
        for (const s of needed) assert.ok(res.body.error.message.includes(`"${s}"`), `${what}: ${res.body.error.message}`);
        assert.ok(!res.text.includes(secret), `${what} echoed the key`);
      }
    }
  }
});

test('a route registered without a scope stops the app from starting; plugins get one with withScope', async () => {
  const redis = connectTestRedis(t.varDir);
  try {
    const app = Fastify();
    installAuth(app, new ApiKeyStore(redis, [{ secret: API_KEY, scopes: ['admin'] }, { secret: ENV_RENDER_KEY, scopes: ['render'] }]));
    assert.throws(() => app.get('/v1/forgotten', async () => 'x'), /GET \/v1\/forgotten declares no scope/);
    assert.throws(() => app.get('/v1/typo', { config: { scope: 'renders' as never } }, async () => 'x'), /declares an unknown scope/);
    // What a plugin we do not write (a dashboard, static files) registers gets the scope it is wrapped in.
    void app.register(withScope('admin', async (c) => void c.get('/admin/dashboard', async () => 'dashboard')));
    await app.ready();
    assert.equal((await app.inject({ url: '/admin/dashboard', headers: { authorization: `Bearer ${ENV_RENDER_KEY}` } })).statusCode, 403);
    assert.equal((await app.inject({ url: '/admin/dashboard', headers: { authorization: `Bearer ${API_KEY}` } })).body, 'dashboard');
    await app.close();

    const inPlugin = Fastify();
    installAuth(inPlugin, new ApiKeyStore(redis, []));
    void inPlugin.register(async (c) => void c.post('/v1/also-forgotten', async () => 'x'));
    await assert.rejects(async () => void (await inPlugin.ready()), /POST \/v1\/also-forgotten declares no scope/);
  } finally {
    redis.disconnect();
  }
});

test('keys: the secret is shown once, never listed or stored; revocation holds at once in a second API process', async () => {
  const created = await t.api('POST', '/v1/keys', { name: 'Braze production', scopes: ['render', 'template'] });
  assert.equal(created.status, 201);
  const { id, secret } = created.body;
  assert.match(secret, /^ksk_[A-Za-z0-9_-]{43}$/);
  assert.match(id, /^key_[0-9a-f]{16}$/);
  assert.equal(created.body.hint, `ksk_…${secret.slice(-4)}`);
  assert.deepEqual(created.body.scopes, ['render', 'template']);
  assert.equal(created.body.created_by, 'env-1');

  const list = await t.api('GET', '/v1/keys');
  assert.equal(list.status, 200);
  const listed = list.body.keys.find((k: any) => k.id === id);
  assert.deepEqual([listed.name, listed.hint, listed.secret], ['Braze production', `ksk_…${secret.slice(-4)}`, undefined]);
  assert.deepEqual(list.body.keys.slice(0, 2).map((k: any) => [k.id, k.name, k.source, k.scopes]), [
    ['env-1', 'environment key 1', 'environment', ['admin']],
    ['env-2', 'environment key 2', 'environment', ['render']],
  ]);
  const one = await t.api('GET', `/v1/keys/${id}`);
  for (const text of [JSON.stringify(list.body), JSON.stringify(one.body)]) {
    for (const s of [secret, API_KEY, ENV_RENDER_KEY, keys.render.secret]) assert.ok(!text.includes(s), 'a secret was shown again');
  }
  // Not in Redis either, in any key or value: only its SHA-256.
  const redis = connectTestRedis(t.varDir);
  try {
    const names = await redis.keys('kasane:apikey*');
    assert.ok(names.length >= 3);
    for (const n of names) {
      const dump = n + JSON.stringify((await redis.type(n)) === 'hash' ? await redis.hgetall(n) : (await redis.type(n)) === 'zset' ? await redis.zrange(n, 0, -1) : await redis.get(n));
      assert.ok(!dump.includes(secret) && !dump.includes(secret.slice(4)), `the secret is stored in ${n}`);
    }
  } finally {
    redis.disconnect();
  }

  // Using the key marks it used (coarsely).
  assert.deepEqual((await call('GET', '/v1/keys/self', secret)).body, { id, name: 'Braze production', scopes: ['render', 'template'] });
  let used = null;
  for (let i = 0; i < 20 && !used; i++, await new Promise((r) => setTimeout(r, 50))) used = (await t.api('GET', `/v1/keys/${id}`)).body.last_used_at;
  assert.ok(used && Date.now() - Date.parse(used) < 60_000, `last_used_at ${used}`);

  // A second API process on the same Redis (the embedded server is shared through its socket).
  const second = await startService({ api: true, worker: false, env: { ...t.env, PORT: '0' }, logger: false });
  try {
    const viaSecond = (k: string) => fetch(`${second.url}/v1/renders/none0`, { headers: { authorization: `Bearer ${k}` } }).then((r) => r.status);
    assert.equal(await viaSecond(secret), 404, 'the second process knows the key');
    const revoked = await fetch(`${second.url}/v1/keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${keys.admin.secret}` } });
    assert.equal(revoked.status, 204);
    // At once, in both processes: no cache to wait out.
    assert.equal((await call('GET', '/v1/renders/none0', secret)).status, 401);
    assert.equal(await viaSecond(secret), 401);
    const shown = (await t.api('GET', `/v1/keys/${id}`)).body;
    assert.ok(shown.revoked_at, 'revoked_at is shown');
    assert.equal((await t.api('DELETE', `/v1/keys/${id}`)).status, 204, 'revoking twice is harmless');
  } finally {
    await second.close();
  }

  // Environment keys are revoked by changing the environment; unknown ids are 404; bad bodies say where.
  assert.equal((await t.api('DELETE', '/v1/keys/env-1')).status, 409);
  assert.equal((await t.api('DELETE', '/v1/keys/key_0123456789abcdef')).status, 404);
  const bad = await t.api('POST', '/v1/keys', { name: '', scopes: ['render', 'superuser'], extra: 1 });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.error.problems.map((p: any) => p.pointer).sort(), ['/extra', '/name', '/scopes']);
  assert.equal((await t.api('GET', '/v1/keys/not-a-key-id')).body.error.problems[0].pointer, 'path:id');
});

test('/v1/keys/self names the calling key, whatever its scope', async () => {
  assert.deepEqual((await call('GET', '/v1/keys/self', API_KEY)).body, { id: 'env-1', name: 'environment key 1', scopes: ['admin'] });
  assert.deepEqual((await call('GET', '/v1/keys/self', ENV_RENDER_KEY)).body, { id: 'env-2', name: 'environment key 2', scopes: ['render'] });
  assert.deepEqual((await call('GET', '/v1/keys/self', keys.template.secret)).body, { id: keys.template.id, name: 'CRM operator', scopes: ['template'] });
  assert.equal((await call('GET', '/v1/keys/self')).status, 401);
  // Only an admin manages keys.
  assert.equal((await call('POST', '/v1/keys', keys.template.secret, { name: 'x', scopes: ['admin'] })).status, 403);
  assert.equal((await call('GET', '/v1/keys', keys.render.secret)).status, 403);
});

async function packageZip(id: string, text: string): Promise<Buffer> {
  const dir = path.join(root, id);
  mkdirSync(dir, { recursive: true });
  const clip = path.join(dir, 'clip.mp4');
  const r = await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
  assert.equal(r.code, 0, r.stderr);
  const manifest = {
    id,
    name: 'Scope test',
    video: { file: 'clip.mp4' },
    encoder: { preset: 'ultrafast' },
    fields: { name: { type: 'string', required: true, maxLength: 8, example: '山田' } },
    layers: [{ id: 'hello', type: 'text', start: 0.5, end: 1.5, box: { x: 10, y: 10, width: 300, height: 40 }, text, style: { fontSize: 24, color: '#ffffff' } }],
  };
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify(manifest));
  return zipFiles([{ name: 'template.json', data: readFileSync(path.join(dir, 'template.json')) }, { name: 'clip.mp4', data: readFileSync(clip) }]);
}

async function upload(zip: Buffer, key: string, qs = 'wait=false') {
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'pkg.zip');
  const res = await fetch(`${t.url}/v1/templates?${qs}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

test('a leaked MA key cannot replace a template nor repoint webhooks; uploads record who uploaded', async () => {
  // The operator uploads version 1: the version says who.
  const v1 = await upload(await packageZip('scoped', '{{name}}様'), keys.template.secret);
  assert.equal(v1.status, 202, JSON.stringify(v1.body));
  const versions = await t.api('GET', '/v1/templates/scoped/versions');
  assert.deepEqual(versions.body.versions.map((v: any) => [v.version, v.uploaded_by]), [[v1.body.version, { id: keys.template.id, name: 'CRM operator' }]]);
  assert.deepEqual((await t.api('GET', `/v1/templates/scoped/versions/${v1.body.version}`)).body.uploaded_by, { id: keys.template.id, name: 'CRM operator' });

  // The MA keys (stored and environment) try to push their own version, activate and roll back.
  const evil = await packageZip('scoped', '{{name}}様、当選です');
  for (const k of [keys.render.secret, ENV_RENDER_KEY]) {
    const r = await upload(evil, k);
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'insufficient_scope');
    assert.equal((await call('POST', '/v1/templates/scoped/activate', k, { version: v1.body.version })).status, 403);
    assert.equal((await call('POST', '/v1/templates/scoped/rollback', k)).status, 403);
    assert.equal((await call('PUT', '/v1/templates/scoped/catalog', k, [])).status, 403);
  }
  const later = await t.api('GET', '/v1/templates/scoped/versions');
  assert.deepEqual(later.body.versions.map((v: any) => v.version), [v1.body.version], 'no version was added');

  // Webhook endpoints: an operator points one at a receiver; an MA key cannot move, add or remove it.
  const ep = await call('POST', '/v1/webhook-endpoints', keys.template.secret, { url: 'http://127.0.0.1:9/crm', events: ['render.ready'] });
  assert.equal(ep.status, 201, ep.text);
  for (const k of [keys.render.secret, ENV_RENDER_KEY]) {
    assert.equal((await call('PATCH', `/v1/webhook-endpoints/${ep.body.id}`, k, { url: 'http://127.0.0.1:9/attacker' })).status, 403);
    assert.equal((await call('POST', '/v1/webhook-endpoints', k, { url: 'http://127.0.0.1:9/attacker', events: ['render.ready'] })).status, 403);
    assert.equal((await call('DELETE', `/v1/webhook-endpoints/${ep.body.id}`, k)).status, 403);
    assert.equal((await call('GET', '/v1/webhook-endpoints', k)).status, 403, 'endpoint secrets are not readable either');
  }
  const endpoints = (await t.api('GET', '/v1/webhook-endpoints')).body.endpoints;
  assert.deepEqual(endpoints.map((e: any) => e.url), ['http://127.0.0.1:9/crm']);
  // What an MA tool is for still works with its key: reading templates and renders.
  assert.equal((await call('GET', '/v1/templates', keys.render.secret)).status, 200);
});

test('KASANE_API_KEYS may scope its keys: "secret:render+template"', () => {
  const base = { KASANE_VAR_DIR: path.join(root, 'cfg'), KASANE_SIGNING_KEYS: 'k1:test-signing-secret-0123456789', KASANE_CONTENT_SECRET: 'test-content-secret-0123456789' };
  const c = loadConfig({ ...base, KASANE_API_KEYS: 'aaaaaaaaaaaaaaaa:render+template, bbbbbbbbbbbbbbbbbbbb,cccccccccccccccc:admin' });
  assert.deepEqual(c.apiKeys, ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb', 'cccccccccccccccc']);
  assert.deepEqual(c.apiKeyScopes, [['render', 'template'], ['admin'], ['admin']]);
  assert.throws(
    () => loadConfig({ ...base, KASANE_API_KEYS: 'aaaaaaaaaaaaaaaa:render+everything' }),
    (e: Error) => e instanceof ConfigError && /key 1 has the unknown scope "everything"/.test(e.message) && !e.message.includes('aaaa'),
  );
  assert.throws(() => loadConfig({ ...base, KASANE_API_KEYS: 'short:render' }), /at least 16 characters/);
});

test('kasane key create | list | revoke', async () => {
  const kasane = (...args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'key', ...args, '--url', t.url, '--key', API_KEY], { env: t.env, encoding: 'utf8' });
  const created = JSON.parse((await kasane('create', '--name', 'Karte', '--scope', 'render', '--scope', 'template')).stdout);
  assert.deepEqual(created.scopes, ['render', 'template']);
  assert.equal((await call('GET', '/v1/keys/self', created.secret)).body.id, created.id);
  const listed = (await kasane('list')).stdout;
  assert.match(listed, new RegExp(`^${created.id}\tksk_…${created.secret.slice(-4)}\trender\\+template\t`, 'm'));
  assert.ok(!listed.includes(created.secret));
  assert.equal((await kasane('revoke', created.id)).stdout.trim(), `revoked ${created.id}`);
  assert.equal((await call('GET', '/v1/keys/self', created.secret)).status, 401);
});
