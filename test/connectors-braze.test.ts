// Braze Connected Content calling Kasane: GET with query parameters (the
// default), POST with a JSON or k=v&… body, the header secret or a stored
// credential (Basic auth); Braze calls again per message part and on retries and
// caches answers, so a repeat must answer the same bytes even after the render
// has moved on. The render's stream passes the stream checks. Braze cannot sign
// and sends no timestamp, so a wrong or missing secret is the only refusal of its
// kind (no tampered or stale case exists). Real service, Redis, HTTP, ffmpeg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKit, type Kit } from './helpers/hook-kit.ts';

const SECRET = 'ks_live_braze-secret-0123456789';
const OTHER = 'ks_live_braze-other-secret-01234';
let k: Kit;
let id: string;

before(async () => {
  k = await startKit('braze');
  const c = await k.connector({ kind: 'braze', secrets: [SECRET], mode: 'eager', contact: '/uid', campaign: '/campaign', mapping: { name: { join: ['/lastname', '/firstname'], sep: ' ' }, amount: '/savings' } });
  id = c.id;
});
after(async () => {
  await k?.close();
});

// {% connected_content …?uid={{${user_id} | url_param_escape}}&lastname=… :headers {"X-Kasane-Secret": "…"} %}
const query = 'uid=u_123&lastname=%E5%B1%B1%E7%94%B0&firstname=%E5%A4%AA%E9%83%8E&savings=125000&campaign=spring2026';

test('GET with query parameters renders a stream that passes the checks; every repeat answers byte-identical JSON, before and after the render is done', async () => {
  const a = await k.hook(`/hooks/${id}?${query}`, { method: 'GET', headers: { 'x-kasane-secret': SECRET, accept: '*/*' } });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.type, 'application/json; charset=utf-8');
  assert.deepEqual(Object.keys(a.body).sort(), ['expires_at', 'external_id', 'mp4_url', 'playlist_url', 'poster_url', 'render_id', 'watch_url']);
  assert.equal(a.body.external_id, `${id}:u_123:spring2026`);
  await k.assertRendered(a.body, { name: '山田 太郎', amount: 125000 });
  // Braze renders the HTML part, the plain-text part, retries: same bytes, nothing new stored.
  const before = await k.stored();
  const b = await k.hook(`/hooks/${id}?${query}`, { method: 'GET', headers: { 'x-kasane-secret': SECRET } });
  assert.equal(b.status, 200);
  assert.equal(b.text, a.text);
  // The POST form (names in the body, ?uid= kept in the URL as Braze's cache key), as JSON and as k=v under
  // application/json (what `:body k=v&… :content_type application/json` may send): the same render, the same bytes.
  const json = JSON.stringify({ uid: 'u_123', lastname: '山田', firstname: '太郎', savings: '125000', campaign: 'spring2026' });
  const c = await k.hook(`/hooks/${id}?uid=u_123`, { headers: { 'content-type': 'application/json', 'x-kasane-secret': SECRET }, body: json });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.text, a.text);
  const form = 'lastname=%E5%B1%B1%E7%94%B0&firstname=%E5%A4%AA%E9%83%8E&savings=125000&campaign=spring2026';
  const basic = 'Basic ' + Buffer.from(`kasane:${SECRET}`).toString('base64');
  const d = await k.hook(`/hooks/${id}?uid=u_123`, { headers: { 'content-type': 'application/json', authorization: basic }, body: form });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.text, a.text);
  assert.equal(await k.stored(), before);
});

test('wrong or missing secrets are 401 and unknown connectors 404, with nothing stored', async () => {
  const before = await k.stored();
  const q = query.replace('u_123', 'u_401');
  const cases: Array<[string, number, string, Record<string, string>]> = [
    ['wrong header secret', 401, `/hooks/${id}?${q}`, { 'x-kasane-secret': OTHER }],
    ['no secret', 401, `/hooks/${id}?${q}`, {}],
    ['wrong Basic password', 401, `/hooks/${id}?${q}`, { authorization: 'Basic ' + Buffer.from(`kasane:${OTHER}`).toString('base64') }],
    ['secret as Basic user name', 401, `/hooks/${id}?${q}`, { authorization: 'Basic ' + Buffer.from(`${SECRET}:x`).toString('base64') }],
    ['unknown connector', 404, `/hooks/c_AAAAAAAAAAAAAAAA?${q}`, { 'x-kasane-secret': SECRET }],
  ];
  for (const [what, status, p, headers] of cases) {
    const r = await k.hook(p, { method: 'GET', headers });
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.equal(typeof r.body.error?.code, 'string', what);
  }
  assert.equal(await k.stored(), before);
});
