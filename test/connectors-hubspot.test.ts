// HubSpot's "Send a webhook" workflow action calling Kasane: the v3 signature
// (HubSpot's documented algorithm, checked against fixed vectors), its 5-minute
// window, the v2 fallback, the API-key alternative, flat custom bodies and the
// object API's {properties: {x: {value}}} shape; a signed call renders a stream
// that passes the stream checks, a retry answers the same render, refusals store
// nothing. Real service, Redis, HTTP, ffmpeg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startKit, type Kit } from './helpers/hook-kit.ts';
import { hubspot, signedUri } from '../src/intake/connectors/kinds/hubspot.ts';
import type { Connector, HookRequest } from '../src/intake/connectors/types.ts';

const SECRET = 'kasane-test-client-secret-0001';
const OTHER = 'some-other-hubspot-client-secret';
const API_KEY = 'hubspot-api-key-value-0123456789';
let k: Kit;

before(async () => {
  k = await startKit('hubspot');
});
after(async () => {
  await k?.close();
});

/** Signs the way HubSpot's documentation says (independent of the kind's code path): METHOD + URI + body + ts. */
function v3(secret: string, method: string, uri: string, body: string, ts = String(Date.now())) {
  return { 'x-hubspot-signature-v3': createHmac('sha256', secret).update(method + uri + body + ts).digest('base64'), 'x-hubspot-request-timestamp': ts };
}

function req(over: Partial<HookRequest>): HookRequest {
  return { method: 'POST', sub: '', url: '/', publicUrl: 'https://kasane.example.jp', headers: {}, query: {}, rawBody: Buffer.alloc(0), receivedAt: Date.now(), ...over };
}
const conn = (secrets: string[], options: Record<string, unknown> = {}) => ({ secrets, options }) as unknown as Connector;

test('the documented vectors verify: v3 (the research spec), v2 (HubSpot\'s own page), and the URI decoding rule', () => {
  const body = '{"contact_id":"901","lastname":"山田","firstname":"太郎","savings":"125000"}';
  const at = 1764590400000;
  const base = { url: '/hooks/con_01HUBSPOT?campaign=spring2026', rawBody: Buffer.from(body), receivedAt: at };
  const headers = { 'x-hubspot-signature-v3': 'XgNKU0F74TNJQ3y2+VSus3fr98FDCEJbSy4hh5/0sLI=', 'x-hubspot-request-timestamp': String(at) };
  assert.doesNotThrow(() => hubspot.authenticate(req({ ...base, headers }), conn(['kasane-test-client-secret'])));
  assert.throws(() => hubspot.authenticate(req({ ...base, headers, receivedAt: at + 5 * 60_000 + 1 }), conn(['kasane-test-client-secret'])), { status: 401 });
  const v2 = { 'x-hubspot-signature': '3ac541864c2636732980bc9772af6ea2471a566864ea87505b849d0809f0d769', 'x-hubspot-signature-version': 'v2' };
  assert.doesNotThrow(() => hubspot.authenticate(req({ ...base, headers: v2 }), conn(['kasane-test-client-secret'], { signatureVersion: 'v2' })));
  assert.throws(() => hubspot.authenticate(req({ ...base, headers: v2 }), conn(['kasane-test-client-secret'])), { status: 401 }, 'v2 only when opted in');
  const doc = { method: 'GET', publicUrl: 'https://www.example.com', url: '/webhook_uri', headers: { 'x-hubspot-signature': 'eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e' } };
  assert.doesNotThrow(() => hubspot.authenticate(req(doc), conn(['yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy'], { signatureVersion: 'v2' })));
  // HubSpot decodes :/?@!$'()*,; (either hex case) before signing, and nothing else.
  assert.equal(signedUri({ publicUrl: 'https://k.example', url: '/hooks/c?a=%3a%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%26%E5%B1%B1' }), "https://k.example/hooks/c?a=:/?@!$'()*,;&b=%20%26%E5%B1%B1");
});

test('a v3-signed flat custom body renders a stream that passes the checks; a re-signed retry answers the same render', async () => {
  const c = await k.connector({ kind: 'hubspot', secrets: [OTHER, SECRET], mode: 'eager', contact: '/contact_id', campaign: '/campaign', mapping: { name: { join: ['/lastname', '/firstname'], sep: ' ' }, amount: '/savings' } });
  const p = `/hooks/${c.id}?campaign=spring2026`;
  const body = JSON.stringify({ contact_id: '901', lastname: '山田', firstname: '太郎', savings: '125000' });
  const a = await k.hook(p, { headers: { 'content-type': 'application/json', ...v3(SECRET, 'POST', k.t.url + p, body) }, body });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.type, 'application/json; charset=utf-8');
  assert.deepEqual(Object.keys(a.body).sort(), ['expires_at', 'external_id', 'mp4_url', 'playlist_url', 'poster_url', 'render_id', 'status', 'watch_url']);
  assert.equal(a.body.external_id, `${c.id}:901:spring2026`);
  await k.assertRendered(a.body, { name: '山田 太郎', amount: 125000 });
  // HubSpot re-sends after a 5xx or timeout with a fresh timestamp: same render, same link, nothing new stored.
  await k.assertSameRender(a.body, () => k.hook(p, { headers: { 'content-type': 'application/json', ...v3(SECRET, 'POST', k.t.url + p, body, String(Date.now() + 1)) }, body }));
});

test('tampered, stale, future, wrong-secret, unsigned and wrong-key calls get 401; unknown connectors 404; nothing stored', async () => {
  const c = await k.connector({ kind: 'hubspot', secrets: [SECRET, API_KEY], options: { apiKeyHeader: 'X-Kasane-Secret' }, mode: 'eager', contact: '/contact_id' });
  const p = `/hooks/${c.id}`;
  const uri = k.t.url + p;
  const body = JSON.stringify({ contact_id: '902', name: '鈴木', amount: 1 });
  const json = { 'content-type': 'application/json' };
  const before = await k.stored();
  const cases: Array<[string, number, string, Record<string, string>, string?]> = [
    ['tampered body', 401, p, { ...json, ...v3(SECRET, 'POST', uri, body) }, body.replace('1}', '2}')],
    ['stale timestamp', 401, p, { ...json, ...v3(SECRET, 'POST', uri, body, String(Date.now() - 6 * 60_000)) }],
    ['future timestamp', 401, p, { ...json, ...v3(SECRET, 'POST', uri, body, String(Date.now() + 6 * 60_000)) }],
    ['seconds, not ms', 401, p, { ...json, ...v3(SECRET, 'POST', uri, body, String(Math.floor(Date.now() / 1000))) }],
    ['signed for another URL', 401, p, { ...json, ...v3(SECRET, 'POST', `${uri}?x=1`, body) }],
    ['wrong secret', 401, p, { ...json, ...v3(OTHER, 'POST', uri, body) }],
    ['unsigned', 401, p, json],
    ['wrong API key', 401, p, { ...json, 'x-kasane-secret': OTHER }],
    ['unknown connector', 404, '/hooks/c_AAAAAAAAAAAAAAAA', { ...json, ...v3(SECRET, 'POST', `${k.t.url}/hooks/c_AAAAAAAAAAAAAAAA`, body) }],
  ];
  for (const [what, status, at, headers, sent] of cases) {
    const r = await k.hook(at, { headers, body: sent ?? body });
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.equal(typeof r.body.error?.code, 'string', what);
    assert.ok(!r.text.includes('鈴木'), `${what} echoes the payload`);
  }
  assert.equal(await k.stored(), before);
});

test('the API-key alternative and the object API\'s {vid, properties: {x: {value}}} shape', async () => {
  const c = await k.connector({ kind: 'hubspot', secrets: [API_KEY], options: { apiKeyHeader: 'X-Kasane-Secret' }, contact: '/vid', mapping: { name: { join: ['/lastname', '/firstname'], sep: '' }, amount: '/properties/savings/value' } });
  const body = JSON.stringify({ vid: 901, 'portal-id': 123, properties: { firstname: { value: '太郎', versions: [{ value: '太郎', timestamp: 1 }] }, lastname: { value: '山田', versions: [] }, savings: { value: '１２５,０００' }, plan: { value: 'P-125' } } });
  const r = await k.hook(`/hooks/${c.id}`, { headers: { 'content-type': 'application/json', 'X-Kasane-Secret': API_KEY }, body });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'lazy');
  assert.equal(r.body.external_id, `${c.id}:901`);
  assert.deepEqual(JSON.parse((await k.redis.hget(`kasane:render:${r.body.render_id}`, 'data'))!), { name: '山田太郎', amount: 125000, plan: 'P-125' });
  const bad = await k.hook(`/hooks/${c.id}`, { headers: { 'content-type': 'application/json', 'X-Kasane-Secret': API_KEY }, body: '[1]' });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.error.code, 'malformed_payload');
});
