// Marketo Engage's "Call Webhook" flow step calling Kasane: the Custom Header
// secret (configurable name), a Payload Template whose tokens Marketo filled in
// (written unquoted as the documentation says: string tokens quoted by Marketo,
// number tokens bare, empty number tokens leaving nothing; tokens the operator
// quoted twice; unquoted strings beyond repair), Form/Url encoding, and flat JSON
// answers that Response Mappings can read, for refusals too. The render's stream
// passes the stream checks. Marketo cannot sign and sends no timestamp, so a
// wrong or missing secret is the only refusal of its kind (no tampered or stale
// case exists). Real service, Redis, HTTP, ffmpeg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKit, type Kit } from './helpers/hook-kit.ts';
import { repairTokens } from '../src/intake/connectors/kinds/marketo.ts';

const SECRET = 'ks_live_7Qm3-marketo-secret-0123';
const OTHER = 'ks_live_someone-else-secret-0123';
let k: Kit;
let id: string;

before(async () => {
  k = await startKit('marketo');
  const c = await k.connector({ kind: 'marketo', secrets: [SECRET], options: { header: 'X-Marketo-Key' }, mode: 'eager', contact: '/lead_id', campaign: '/campaign', mapping: { name: { join: ['/lastname', '/firstname'], sep: ' ' }, amount: '/savings' } });
  id = c.id;
});
after(async () => {
  await k?.close();
});

const headers = (secret = SECRET) => ({ 'content-type': 'application/json', 'x-marketo-key': secret });

test('the repair touches only empty values and doubled quotes, outside strings', () => {
  assert.equal(repairTokens('{"a": , "b":}'), '{"a": null, "b":null}');
  assert.equal(repairTokens('{"a": ""山田"", "b": """", "c": ""}'), '{"a": "山田", "b": "", "c": ""}');
  assert.equal(repairTokens('{"note": "x: , y", "q": "\\": ,"}'), '{"note": "x: , y", "q": "\\": ,"}');
  assert.equal(repairTokens('{"a": 1 2}'), '{"a": 1 2}');
});

test('unquoted tokens (an empty optional number among them) render a stream that passes the checks; an operator-quoted retry answers the same render; the answer is flat', async () => {
  // The Payload Template as Marketo's documentation has it, tokens unquoted:
  // {"lead_id": {{lead.Id}}, "lastname": {{lead.Last Name}}, …, "points": {{lead.Points}}, "campaign": {{my.Campaign}}}
  // Marketo quotes the string tokens itself; the lead has no Points, so that number token leaves nothing.
  const body = '{"lead_id": 318822, "lastname": "山田", "firstname": "太郎", "savings": 125000, "points": , "plan": "P-125", "campaign": "spring2026"}';
  const a = await k.hook(`/hooks/${id}`, { headers: headers(), body });
  assert.equal(a.status, 200, a.text);
  assert.deepEqual(Object.keys(a.body).sort(), ['expires_at', 'external_id', 'mp4_url', 'playlist_url', 'poster_url', 'render_id', 'status', 'watch_url']);
  assert.equal(a.body.external_id, `${id}:318822:spring2026`);
  assert.ok(Object.values(a.body).every((v) => typeof v === 'string'), 'every answer key is a flat string Response Mappings can read');
  await k.assertRendered(a.body, { name: '山田 太郎', amount: 125000, plan: 'P-125' });
  // The campaign runs the lead again through a copy of the webhook whose operator quoted every token
  // ("{{lead.Last Name}}", "{{lead.Savings}}"): Marketo's own quotes double up, the empty Points is """".
  await k.assertSameRender(a.body, () => k.hook(`/hooks/${id}`, { headers: headers(), body: '{"lead_id": "318822", "lastname": ""山田"", "firstname": ""太郎"", "savings": "125000", "points": """", "plan": ""P-125"", "campaign": ""spring2026""}' }));
});

test('an empty number token (the spec\'s example) becomes null: a required field answers 422 with flat error keys', async () => {
  const before = await k.stored();
  const body = '{"lead_id": 318823, "lastname": "山田", "firstname": "太郎", "savings": , "plan": "P-125", "campaign": "spring2026"}';
  const r = await k.hook(`/hooks/${id}`, { headers: headers(), body });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.error, 'invalid_data');
  assert.equal(r.body.error_field, 'amount');
  assert.match(r.body.error_reason, /required.*mapped from \/savings/);
  assert.ok(Object.values(r.body).every((v) => typeof v === 'string'));
  assert.equal(await k.stored(), before);
});

test('an unquoted string (JSON beyond the narrow repair) is a 400 saying where, without echoing the data', async () => {
  const r = await k.hook(`/hooks/${id}`, { headers: headers(), body: '{"lead_id": 1,\n "lastname": 山田, "savings": 1}' });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.error, 'malformed_payload');
  assert.equal(r.body.error_field, undefined);
  assert.match(r.body.error_message, /at line 2, column 14/);
  assert.ok(!r.text.includes('山田'));
});

test('Form/Url token encoding and the campaign from a My Token', async () => {
  const body = new URLSearchParams({ lead_id: '318824', lastname: '佐藤', firstname: '花子', savings: '１２,０００', campaign: 'autumn' }).toString();
  const r = await k.hook(`/hooks/${id}`, { headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-marketo-key': SECRET }, body });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.external_id, `${id}:318824:autumn`);
  assert.deepEqual(JSON.parse((await k.redis.hget(`kasane:render:${r.body.render_id}`, 'data'))!), { name: '佐藤 花子', amount: 12000 });
  assert.equal((await k.waitState(r.body.render_id, ['done', 'failed'])).state, 'done');
});

test('a missing or wrong Custom Header is 401 (the default header name does not apply when another is set); nothing stored', async () => {
  const body = '{"lead_id": 9, "lastname": "鈴木", "firstname": "一郎", "savings": 1, "campaign": "x"}';
  const before = await k.stored();
  for (const [what, h] of [
    ['wrong secret', headers(OTHER)],
    ['no header', { 'content-type': 'application/json' }],
    ['default header name', { 'content-type': 'application/json', 'x-kasane-secret': SECRET }],
    ['wrong bearer', { 'content-type': 'application/json', authorization: `Bearer ${OTHER}` }],
  ] as const) {
    const r = await k.hook(`/hooks/${id}`, { headers: h, body });
    assert.equal(r.status, 401, `${what}: ${r.text}`);
    assert.ok(!r.text.includes('鈴木'));
  }
  assert.equal(await k.stored(), before);
});
