// Connectors end to end: an operator configures one (secrets never come back),
// a tool calls /hooks/<id> in its own shape, and a render whose stream passes
// the stream checks comes out; bad signatures, stale timestamps, wrong secrets
// and unknown connectors are refused with nothing stored; retries answer the
// same render; payload values are normalised (names, full-width numbers,
// lists, skus through a Shift_JIS catalog). Real service, Redis, HTTP, ffmpeg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import iconv from 'iconv-lite';
import { startTestService, connectTestRedis, type TestService } from './helpers/service.ts';
import { checkStream } from './support/hls-checks.ts';
import { checkRender } from './helpers/stream.ts';
import { storedState } from './helpers/hook-kit.ts';
import { textLayer, writeTinyTemplate } from './helpers/tiny-template.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { mapPayload, normalize, toList, toNumberish } from '../src/intake/mapping.ts';
import { decodeCsv } from '../src/intake/catalog.ts';
import { redactUrl } from '../src/api/redact-url.ts';
import { configJson } from '../src/intake/connectors/kinds/sfmc.ts';
import type { Connector } from '../src/intake/connectors/types.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-connectors-'));
const TPL = 'conn-tiny';
const FIELDS = {
  name: { type: 'string', required: true, maxLength: 20 },
  amount: { type: 'integer', required: true, minimum: 0 },
  tags: { type: 'array', maxItems: 5, items: { type: 'string', maxLength: 10 } },
  items: {
    type: 'array', maxItems: 3,
    items: { type: 'object', properties: { name: { type: 'string', required: true, maxLength: 30 }, price: { type: 'integer', minimum: 0 }, badge: { type: 'string', maxLength: 8 } } },
  },
} as const;
const WHSEC = 'whsec_' + Buffer.from('connectors-test-signing-secret-0123').toString('base64');
const WHSEC_OTHER = 'whsec_' + Buffer.from('some-other-signing-secret-abcdefgh').toString('base64');
const BEARER = 'bearer-connector-key-0123456789';
const DOC_TEMPLATES = ['energy-savings', 'phone-plan'];
const bundledFields = (id: string) => JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'templates', id, 'template.json'), 'utf8')).fields;
let t: TestService;
let redis: Redis;

before(async () => {
  const dir = await writeTinyTemplate(path.join(root, 'templates'), { id: TPL, name: 'connectors tiny', fields: FIELDS });
  // The bundled templates the guides' examples name, with their real fields on a tiny clip.
  for (const id of DOC_TEMPLATES) {
    const d = path.join(root, 'templates', id);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'clip.mp4'), readFileSync(path.join(dir, 'clip.mp4')));
    writeFileSync(path.join(d, 'template.json'), JSON.stringify({
      id, name: id, video: { file: 'clip.mp4' }, encoder: { preset: 'ultrafast' }, fields: bundledFields(id),
      layers: [textLayer('{{name}}', 12)],
    }));
  }
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'templates'), KASANE_STORAGE_DIR: path.join(root, 'storage'), KASANE_RENDER_ATTEMPTS: '1' } });
  await t.svc.prepareBundled();
  redis = connectTestRedis(t.varDir);
});

after(async () => {
  redis?.disconnect();
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

const base = { kind: 'generic', name: 'test', template: TPL, contact: '/contact_id' };

async function connector(extra: Record<string, unknown>) {
  const res = await t.api('POST', '/v1/connectors', { ...base, ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; hook_url: string };
}

function signedHeaders(secret: string, body: string, at = new Date(), id = `msg_${Math.random().toString(36).slice(2)}`) {
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) };
}

async function hook(id: string, body: string, headers: Record<string, string>, method = 'POST') {
  const res = await fetch(`${t.url}/hooks/${id}`, { method, headers, body: method === 'GET' ? undefined : body });
  const text = await res.text();
  return { status: res.status, body: (() => { try { return JSON.parse(text); } catch { return text; } })() };
}

test('a Standard Webhooks call renders a stream that passes the checks; a retry answers the same render', async () => {
  const c = await connector({ secrets: [WHSEC_OTHER, WHSEC], mode: 'eager', mapping: { name: { join: ['/lastname', '/firstname'], sep: ' ' } }, campaign: { value: 'spring' } });
  assert.equal(c.hook_url, `${t.url}/hooks/${c.id}`);
  const body = JSON.stringify({ contact_id: 'ct-001', lastname: '山田', firstname: '太郎', amount: '１２５,０００' });
  const a = await hook(c.id, body, signedHeaders(WHSEC, body));
  assert.equal(a.status, 201, JSON.stringify(a.body));
  assert.deepEqual(Object.keys(a.body).sort(), ['expires_at', 'external_id', 'mp4_url', 'playlist_url', 'poster_url', 'render_id', 'status', 'watch_url']);
  assert.equal(a.body.external_id, `${c.id}:ct-001:spring`);
  assert.match(a.body.watch_url, new RegExp(`^${t.url}/v/`));
  assert.equal(a.body.mp4_url, `${a.body.watch_url}video.mp4`);
  assert.equal(a.body.poster_url, `${a.body.watch_url}poster.jpg`);
  const done = await t.waitState(a.body.render_id, ['done', 'failed']);
  assert.equal(done.state, 'done', done.error);
  const report = await checkRender(t, TPL, a.body.playlist_url);
  assert.deepEqual(report.failures, []);
  // The tool retries (a new delivery id, same contact, campaign and data): same render, same link, no new job.
  const before = await storedState(redis);
  const b = await hook(c.id, body, signedHeaders(WHSEC, body));
  assert.equal(b.status, 200);
  assert.equal(b.body.render_id, a.body.render_id);
  assert.equal(b.body.watch_url, a.body.watch_url);
  assert.equal(await storedState(redis), before);
});

test('bad, stale, wrong-secret, unsigned calls get 401 and unknown connectors 404, with nothing stored', async () => {
  const c = await connector({ secrets: [WHSEC], mode: 'eager' });
  const body = JSON.stringify({ contact_id: 'ct-401', name: '鈴木', amount: 1 });
  const before = await storedState(redis);
  const tampered = signedHeaders(WHSEC, body);
  const cases: Array<[string, number, Promise<{ status: number; body: any }>]> = [
    ['tampered body', 401, hook(c.id, body.replace('1}', '2}'), tampered)],
    ['stale timestamp', 401, hook(c.id, body, signedHeaders(WHSEC, body, new Date(Date.now() - 6 * 60_000)))],
    ['future timestamp', 401, hook(c.id, body, signedHeaders(WHSEC, body, new Date(Date.now() + 6 * 60_000)))],
    ['wrong secret', 401, hook(c.id, body, signedHeaders(WHSEC_OTHER, body))],
    ['no signature', 401, hook(c.id, body, { 'content-type': 'application/json' })],
    ['wrong bearer', 401, hook(c.id, body, { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` })],
    ['unknown connector', 404, hook('c_AAAAAAAAAAAAAAAA', body, signedHeaders(WHSEC, body))],
    ['malformed connector id', 404, hook('nope', body, signedHeaders(WHSEC, body))],
  ];
  for (const [what, status, p] of cases) {
    const r = await p;
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(typeof r.body.error?.code, 'string', what);
    assert.ok(!JSON.stringify(r.body).includes('鈴木'), `${what} echoes the payload`);
  }
  assert.equal(await storedState(redis), before);
});

test('Bearer auth; names, full-width numbers, lists and skus through a Shift_JIS catalog are normalised', async () => {
  const csv = iconv.encode('sku,name,price,badge\r\nSKU1,かさねフォン 15,"79,800",人気No.1\r\nSKU2,イヤホン,１２９８０,\r\n', 'cp932');
  const put = await fetch(`${t.url}/v1/templates/${TPL}/catalog`, { method: 'PUT', headers: { authorization: `Bearer ${t.env.KASANE_API_KEYS}`, 'content-type': 'text/csv' }, body: new Uint8Array(csv) });
  assert.equal(put.status, 200, await put.clone().text());
  assert.deepEqual(await put.json(), { template: TPL, count: 2 });
  const cat = (await t.api('GET', `/v1/templates/${TPL}/catalog`)).body;
  assert.deepEqual(cat.items, [{ sku: 'SKU1', name: 'かさねフォン 15', price: 79800, badge: '人気No.1' }, { sku: 'SKU2', name: 'イヤホン', price: 12980 }]);

  const c = await connector({ secrets: [BEARER], mapping: { name: { join: ['/sei', '/mei'], sep: ' ' }, amount: 'deal.amount', tags: '/tags', items: { skus: '/rec_skus' } } });
  const body = JSON.stringify({ contact_id: 42, sei: '山田', mei: '太郎', deal: { amount: '¥１２５,０００' }, tags: 'a;b', rec_skus: 'SKU2, NOPE ,SKU1' });
  const r = await hook(c.id, body, { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.status, 'lazy');
  assert.equal(r.body.warnings.length, 1);
  assert.match(r.body.warnings[0], /items: 1 sku\(s\) not in the catalog, dropped: NOPE/);
  const data = JSON.parse((await redis.hget(`kasane:render:${r.body.render_id}`, 'data'))!);
  assert.deepEqual(data, { name: '山田 太郎', amount: 125000, tags: ['a', 'b'], items: [{ name: 'イヤホン', price: 12980 }, { name: 'かさねフォン 15', price: 79800, badge: '人気No.1' }] });
  // A lazy render is drawn when watched: its stream is whole.
  const report = await checkStream(r.body.playlist_url, { skipFfmpeg: true });
  assert.deepEqual(report.failures, []);
});

test('data that fails the template gets 422 with each field, why and where it was read from; no render', async () => {
  const c = await connector({ secrets: [BEARER], mapping: { amount: '/amt' } });
  const before = await storedState(redis);
  const r = await hook(c.id, JSON.stringify({ contact_id: 'x1', name: '', amt: '十万円' }), { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.code, 'invalid_data');
  const byPointer = Object.fromEntries(r.body.error.problems.map((p: any) => [p.pointer, p.message]));
  assert.deepEqual(Object.keys(byPointer).sort(), ['/data/amount', '/data/name']);
  assert.match(byPointer['/data/amount'], /mapped from \/amt/);
  assert.match(byPointer['/data/name'], /required.*mapped from \/name/);
  assert.ok(!JSON.stringify(r.body).includes('十万円'));
  // fetch sends a string body as text/plain: hooks read the bytes whatever the tool calls them.
  const noContact = await hook(c.id, JSON.stringify({ name: 'a', amount: 1 }), { authorization: `Bearer ${BEARER}` });
  assert.equal(noContact.status, 422);
  assert.equal(noContact.body.error.problems[0].pointer, '/contact_id');
  const notJson = await hook(c.id, '{"contact_id": ', { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` });
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.error.code, 'malformed_payload');
  const tooLarge = await hook(c.id, JSON.stringify({ contact_id: 'x', name: 'a'.repeat(300_000) }), { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` });
  assert.equal(tooLarge.status, 413);
  assert.equal(await storedState(redis), before);
});

test('connector CRUD: secrets are never returned, PATCH updates, bad configuration is a 422 with pointers', async () => {
  const c = await connector({ secrets: [WHSEC, BEARER], name: 'HubSpot JP' });
  const got = await t.api('GET', `/v1/connectors/${c.id}`);
  assert.equal(got.status, 200);
  const text = JSON.stringify(got.body) + JSON.stringify((await t.api('GET', '/v1/connectors')).body) + JSON.stringify(c);
  for (const s of [WHSEC, BEARER, WHSEC.slice(6, 20), BEARER.slice(0, 12)]) assert.ok(!text.includes(s), 'a secret came back');
  assert.deepEqual(got.body.secrets, [{ hint: `whsec_…${WHSEC.slice(-4)}` }, { hint: `…${BEARER.slice(-4)}` }]);
  assert.equal(got.body.mode, 'lazy');
  assert.ok((await t.api('GET', '/v1/connectors')).body.connectors.some((x: any) => x.id === c.id));

  const p = await t.api('PATCH', `/v1/connectors/${c.id}`, { name: 'renamed', mode: 'eager', mapping: { name: { path: '/n', default: 'お客様' } } });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  assert.equal(p.body.name, 'renamed');
  assert.equal(p.body.mode, 'eager');
  assert.equal(p.body.secrets.length, 2);
  assert.deepEqual((await t.api('GET', `/v1/connectors/${c.id}`)).body.mapping, { name: { path: '/n', default: 'お客様' } });

  const bad = await t.api('PATCH', `/v1/connectors/${c.id}`, { mapping: { nope: '/x' }, secrets: ['short'] });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.error.problems.map((x: any) => x.pointer).sort(), ['/mapping/nope', '/secrets/0']);
  const badCreate = await t.api('POST', '/v1/connectors', { ...base, kind: 'nope', secrets: [BEARER], extra: 1 });
  assert.equal(badCreate.status, 422);
  assert.deepEqual(badCreate.body.error.problems.map((x: any) => x.pointer).sort(), ['/extra', '/kind']);
  const badSpec = await t.api('POST', '/v1/connectors', { ...base, secrets: [BEARER], template: 'no-such', mapping: { name: { join: [] } } });
  assert.equal(badSpec.status, 422);
  assert.deepEqual(badSpec.body.error.problems.map((x: any) => x.pointer).sort(), ['/mapping/name/join', '/template']);
  const twoForms = await t.api('POST', '/v1/connectors', { ...base, secrets: [BEARER], mapping: { name: { path: '/a', value: 'b' } } });
  assert.deepEqual(twoForms.body.error.problems.map((x: any) => [x.pointer, x.message]), [['/mapping/name', 'must have exactly one of "path", "join", "value", "skus"']]);
  const notSpec = await t.api('POST', '/v1/connectors', { ...base, secrets: [BEARER], mapping: { items: { skus: 5 } } });
  assert.deepEqual(notSpec.body.error.problems.map((x: any) => x.pointer), ['/mapping/items/skus']);
  const notObject = await t.api('POST', '/v1/connectors', { ...base, secrets: [BEARER], mapping: { amount: 3 } });
  assert.deepEqual(notObject.body.error.problems.map((x: any) => x.pointer), ['/mapping/amount']);
  const noTpl = await t.api('POST', '/v1/connectors', { ...base, secrets: [BEARER], template: 'no-such' });
  assert.equal(noTpl.status, 422);
  assert.deepEqual(noTpl.body.error.problems.map((x: any) => x.pointer), ['/template']);

  assert.equal((await t.api('DELETE', `/v1/connectors/${c.id}`)).status, 204);
  assert.equal((await t.api('GET', `/v1/connectors/${c.id}`)).status, 404);
  assert.equal((await t.api('DELETE', `/v1/connectors/${c.id}`)).status, 404);
  assert.equal((await fetch(`${t.url}/v1/connectors`)).status, 401);
});

test('the CLI creates, lists, updates and deletes connectors through the API', async () => {
  const file = path.join(root, 'connector.json');
  writeFileSync(file, JSON.stringify({ ...base, name: 'from the CLI', secrets: [BEARER] }));
  // Async: the service answering the CLI runs in this process.
  const cli = (...args: string[]) => promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'connector', ...args], { env: { ...process.env, KASANE_URL: t.url, KASANE_API_KEY: t.env.KASANE_API_KEYS!, LOG_LEVEL: 'silent' } });
  const created = JSON.parse((await cli('create', '--file', file)).stdout);
  assert.match(created.id, /^c_/);
  assert.ok(!JSON.stringify(created).includes(BEARER));
  assert.ok(JSON.parse((await cli('list')).stdout).connectors.some((c: any) => c.id === created.id));
  writeFileSync(file, JSON.stringify({ name: 'renamed by the CLI' }));
  assert.equal(JSON.parse((await cli('update', created.id, '--file', file)).stdout).name, 'renamed by the CLI');
  await cli('delete', created.id);
  const gone = await cli('get', created.id).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.equal(gone?.code, 1);
  assert.match(gone!.stderr, /rejected \(404\)/);
});

test('mapping normalises what MA tools send', async () => {
  assert.equal(toNumberish('125000'), 125000);
  assert.equal(toNumberish('１２５,０００'), 125000);
  assert.equal(toNumberish('¥12,000'), 12000);
  assert.equal(toNumberish('￥１２，０００円'), 12000);
  assert.equal(toNumberish(' -3.5 '), -3.5);
  assert.equal(toNumberish('十万'), '十万');
  assert.equal(toNumberish('12abc'), '12abc');
  assert.deepEqual(toList('a;b'), ['a', 'b']);
  assert.deepEqual(toList('a, b,,'), ['a', 'b']);
  assert.deepEqual(toList('1,200;980'), ['1,200', '980']);
  assert.deepEqual(toList('赤、青'), ['赤', '青']);
  assert.deepEqual(toList(['x']), ['x']);
  assert.deepEqual(normalize({ type: 'array', items: { type: 'integer' } }, '１,２;3'), [12, 3]);
  assert.equal(normalize({ type: 'string' }, '  '), undefined);
  assert.equal(normalize({ type: 'string' }, 42), '42');
  assert.equal(normalize({ type: 'boolean' }, 'TRUE'), true);
  const m = await mapPayload(
    { name: { type: 'string' }, amount: { type: 'integer' }, plan: { type: 'string' }, first: { type: 'string' } },
    { name: { join: ['/p/last', '/p/first', '/p/middle'], sep: ' ' }, amount: { path: 'p.amount', default: 0 }, plan: { value: 'ギガ' }, first: '/p/first' },
    { p: { last: '山田', first: '', amount: '' }, __proto__: { x: 1 } },
  );
  assert.deepEqual(m.data, { name: '山田', amount: 0, plan: 'ギガ' });
  assert.deepEqual(m.warnings, []);
  assert.equal(decodeCsv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('sku,名前')])), 'sku,名前');
  assert.equal(decodeCsv(iconv.encode('sku,名前', 'cp932')), 'sku,名前');
  // Hook queries carry contact data (Braze Connected Content): the request log never shows them.
  assert.equal(redactUrl('/hooks/c_AAAAAAAAAAAAAAAA?first_name=%E5%B1%B1%E7%94%B0&id=7'), '/hooks/c_AAAAAAAAAAAAAAAA?<redacted>');
});

test('the connector guides: every JSON example parses, every connector example is accepted as written, the SFMC config.json is what is served', async () => {
  const files = ['docs/connectors.md', ...readdirSync(path.join(PROJECT_ROOT, 'docs/integrations')).map((f) => `docs/integrations/${f}`)];
  const index = readFileSync(path.join(PROJECT_ROOT, 'docs/connectors.md'), 'utf8');
  // Every kind answers the MP4 (LINE video messages) and the poster (email image): the index says so.
  for (const k of ['mp4_url', 'poster_url']) assert.match(index, new RegExp(`\`${k}\``), `docs/connectors.md documents ${k}`);
  const kinds = new Set<string>();
  for (const f of files) {
    const text = readFileSync(path.join(PROJECT_ROOT, f), 'utf8');
    if (f !== 'docs/connectors.md') assert.ok(index.includes(`](${f.slice('docs/'.length)})`), `connectors.md links ${f}`);
    for (const [, lang, code] of text.matchAll(/```(\w*)\n([\s\S]*?)```/g)) {
      if (lang !== 'json') continue;
      let example: any;
      assert.doesNotThrow(() => (example = JSON.parse(code!)), `${f}: ${code!.slice(0, 60)}`);
      if (!example.kind) continue;
      kinds.add(example.kind);
      assert.ok(DOC_TEMPLATES.includes(example.template), `${f}: template ${example.template}`);
      const res = await t.api('POST', '/v1/connectors', example);
      assert.equal(res.status, 201, `${f}: ${JSON.stringify(res.body)}`);
      if (example.kind === 'sfmc') {
        // The guide's config.json is the one generated for its connector example.
        const shown = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!)).find((x) => x.workflowApiVersion);
        const c = { ...example, options: { ...example.options, key: '<Unique Key>' } } as Connector;
        assert.deepEqual(configJson(c, 'https://<kasane-host>/hooks/<id>', bundledFields(example.template)), shown);
      }
      assert.equal((await t.api('DELETE', `/v1/connectors/${res.body.id}`)).status, 204);
    }
  }
  assert.deepEqual([...kinds].sort(), ['braze', 'generic', 'hubspot', 'karte', 'marketo', 'sfmc']);
});
