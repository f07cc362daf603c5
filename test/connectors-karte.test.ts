// KARTE Hook v2 end to end: a request signed the KARTE way (X-Karte-Signature =
// HMAC-SHA256 of "<X-Karte-Request-Timestamp>:<body>" with the Client Secret,
// hex or base64) renders; a duplicate delivery answers the same render; tampered
// bodies, wrong secrets, stale or future timestamps and missing headers are 401
// with nothing stored. Real service, Redis, HTTP, ffmpeg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startKit, type Kit } from './helpers/hook-kit.ts';

const SECRET = 'KarteClientSecret';
// The body of kinds-spec.md §5.2 (illustrative: Hook v2's body depends on the trigger).
const BODY = '{"id":"evt_01","type":"kasane/render","data":{"user_id":"u_123","lastname":"山田","firstname":"太郎","savings":"125000"}}';
let k: Kit;

before(async () => {
  k = await startKit('karte', {
    connector: {
      kind: 'karte', name: 'KARTE Talk', secrets: ['an-older-client-secret-0123', SECRET], contact: '/data/user_id', campaign: { value: 'talk' },
      mapping: { name: { join: ['/data/lastname', '/data/firstname'], sep: ' ' }, amount: '/data/savings' },
    },
  });
});
after(async () => {
  await k?.close();
});

function karteHeaders(body: string, opts: { secret?: string; at?: number; encoding?: 'hex' | 'base64'; prefix?: string } = {}) {
  const ts = String(opts.at ?? Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', opts.secret ?? SECRET).update(`${ts}:${body}`).digest(opts.encoding ?? 'hex');
  return { 'content-type': 'application/json', 'x-karte-request-timestamp': ts, 'x-karte-signature': (opts.prefix ?? '') + sig };
}

async function hook(id: string, body: string, headers: Record<string, string>) {
  return k.hook(`/hooks/${id}`, { headers, body });
}

test('a signed Hook v2 request renders a stream that passes the checks; the duplicate delivery (base64, sha256= prefix) answers the same render', async () => {
  const c = await k.connector({ mode: 'eager' });
  const a = await hook(c.id, BODY, karteHeaders(BODY));
  assert.equal(a.status, 201, a.text);
  assert.equal(a.body.external_id, `${c.id}:u_123:talk`);
  await k.assertRendered(a.body, { name: '山田 太郎', amount: 125000 });
  for (const h of [karteHeaders(BODY, { encoding: 'base64' }), karteHeaders(BODY, { prefix: 'sha256=' }), { ...karteHeaders(BODY), 'x-karte-signature': karteHeaders(BODY)['x-karte-signature'].toUpperCase() }]) {
    await k.assertSameRender(a.body, () => hook(c.id, BODY, h));
  }
});

test('tampered, wrong-secret, stale, future and unsigned requests get 401 and unknown connectors 404, with nothing stored', async () => {
  const c = await k.connector();
  const before = await k.stored();
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
  assert.equal(await k.stored(), before);
});
