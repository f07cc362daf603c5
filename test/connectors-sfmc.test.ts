// SFMC Journey Builder custom activity end to end: Journey Builder loads
// config.json and index.html from the Endpoint URL (no credentials, no personal
// data), POSTs a HS256 JWT to execute (inArguments merged, keyValue the contact,
// the journey the campaign) and gets the flat outArguments; the render's stream
// passes the stream checks. Tampered, wrong-secret, alg "none" and expired tokens
// are 401 with nothing stored; lifecycle calls answer {} and render nothing.
// Real service, Redis, HTTP, ffmpeg.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { startKit, TPL, type Kit } from './helpers/hook-kit.ts';

const SECRET = 'sfmc-jwt-signing-secret-from-installed-package';
const OTHER = 'another-packages-jwt-signing-secret';
// The execute request of kinds-spec.md §4.4, signed with SECRET (no exp: valid at any time).
const SPEC_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpbkFyZ3VtZW50cyI6W3siY29udGFjdEtleSI6IjAwMzF4MDAwMDBBYkNkRSJ9LHsibGFzdG5hbWUiOiLlsbHnlLAifSx7ImZpcnN0bmFtZSI6IuWkqumDjiJ9LHsic2F2aW5ncyI6IjEyNTAwMCJ9XSwib3V0QXJndW1lbnRzIjpbXSwiYWN0aXZpdHlPYmplY3RJRCI6IjViZDVjNWU0LThmMGUtNGE4Yi05ZDdlLTFmMmEzYjRjNWQ2ZSIsImpvdXJuZXlJZCI6ImExYjJjM2Q0LTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMSIsImFjdGl2aXR5SWQiOiJhMWIyYzNkNC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDIiLCJkZWZpbml0aW9uSW5zdGFuY2VJZCI6ImExYjJjM2Q0LTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMyIsImFjdGl2aXR5SW5zdGFuY2VJZCI6ImExYjJjM2Q0LTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwNCIsImtleVZhbHVlIjoiMDAzMXgwMDAwMEFiQ2RFIiwibW9kZSI6MH0.PxeSWdSwIcKs0EfEbdh9FiIFFpAVP8PDgiNqYs3rBBY';
const JOURNEY = 'a1b2c3d4-0000-4000-8000-000000000001';
const execPayload = {
  inArguments: [{ contactKey: '0031x00000AbCdE' }, { lastname: '山田' }, { firstname: '太郎' }, { savings: '125000' }],
  outArguments: [],
  activityObjectID: '5bd5c5e4-8f0e-4a8b-9d7e-1f2a3b4c5d6e',
  journeyId: JOURNEY,
  activityId: 'a1b2c3d4-0000-4000-8000-000000000002',
  definitionInstanceId: 'a1b2c3d4-0000-4000-8000-000000000003',
  activityInstanceId: 'a1b2c3d4-0000-4000-8000-000000000004',
  keyValue: '0031x00000AbCdE',
  mode: 0,
};
let k: Kit;

before(async () => {
  k = await startKit('sfmc', {
    connector: {
      kind: 'sfmc', name: 'SFMC 春', secrets: [OTHER, SECRET], contact: '/_sfmc/keyValue',
      mapping: { name: { join: ['/lastname', '/firstname'], sep: ' ' }, amount: '/savings' },
    },
    // Exactly these two: config.json offers an inArgument for every template field.
    fields: { name: { type: 'string', required: true, maxLength: 20 }, amount: { type: 'integer', required: true, minimum: 0 } },
  });
});
after(async () => {
  await k?.close();
});

const sign = (payload: object, secret = SECRET, exp?: number) => {
  const jwt = new SignJWT(payload as never).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  return (exp === undefined ? jwt : jwt.setExpirationTime(exp)).sign(new TextEncoder().encode(secret));
};

async function call(id: string, sub: string, body?: string, method = 'POST') {
  const r = await k.hook(`/hooks/${id}/${sub}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/jwt' }, body });
  return { ...r, type: r.type ?? '' };
}

test('config.json and index.html are served without credentials and name this connector\'s URLs', async () => {
  const c = await k.connector({ options: { in_arguments: { lastname: '{{Contact.Attribute.Kasane_Entry.LastName}}' }, out_arguments: ['watch_url', 'render_id'], retry_count: 1, key: 'kasane-activity-key' } });
  const before = await k.stored();
  const base = `${k.t.url}/hooks/${c.id}`;
  const r = await call(c.id, 'config.json', undefined, 'GET');
  assert.equal(r.status, 200, r.text);
  assert.match(r.type, /^application\/json/);
  const cfg = r.body;
  assert.equal(cfg.workflowApiVersion, '1.1');
  assert.equal(cfg.type, 'REST');
  assert.equal(cfg.key, 'kasane-activity-key');
  assert.equal(cfg.metaData.category, 'message');
  assert.equal(cfg.metaData.icon, `${base}/icon.svg`);
  assert.equal(cfg.lang['en-US'].name, 'SFMC 春');
  assert.equal(cfg.arguments.execute.url, `${base}/execute`);
  assert.equal(cfg.arguments.execute.useJwt, true);
  assert.equal(cfg.arguments.execute.timeout, 10000);
  assert.equal(cfg.arguments.execute.retryCount, 1);
  assert.equal(cfg.arguments.execute.concurrentRequests, 5);
  // One inArgument per payload name the mapping reads (the contact comes from keyValue, not an inArgument).
  assert.deepEqual(cfg.arguments.execute.inArguments, [
    { lastname: '{{Contact.Attribute.Kasane_Entry.LastName}}' },
    { firstname: '{{Contact.Attribute.Kasane.firstname}}' },
    { savings: '{{Contact.Attribute.Kasane.savings}}' },
  ]);
  assert.deepEqual(cfg.arguments.execute.outArguments, [{ watch_url: '' }, { render_id: '' }]);
  assert.deepEqual(cfg.schema.arguments.execute.outArguments, [
    { watch_url: { dataType: 'Text', direction: 'out', access: 'visible' } },
    { render_id: { dataType: 'Text', direction: 'out', access: 'visible' } },
  ]);
  for (const s of ['save', 'validate', 'publish', 'stop']) assert.deepEqual(cfg.configurationArguments[s], { url: `${base}/${s}`, useJwt: true });

  for (const sub of ['index.html', '']) {
    const page = await call(c.id, sub, undefined, 'GET');
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    assert.match(page.text, /SFMC 春/);
    assert.doesNotMatch(page.text, /<script|src=|href=|https?:/, 'the page loads nothing');
  }
  const icon = await call(c.id, 'icon.svg', undefined, 'GET');
  assert.equal(icon.status, 200);
  assert.match(icon.type, /^image\/svg\+xml/);
  assert.equal((await call('c_AAAAAAAAAAAAAAAA', 'config.json', undefined, 'GET')).status, 404);
  const bad = await k.t.api('POST', '/v1/connectors', { kind: 'sfmc', name: 'x', template: TPL, secrets: ['short'], contact: '/_sfmc/keyValue', options: { category: 'nope', timeout: 5, extra: 1 } });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.error.problems.map((p: any) => p.pointer).sort(), ['/options/category', '/options/extra', '/options/timeout', '/secrets/0']);
  assert.equal((await call(c.id, 'execute', undefined, 'GET')).status, 404);
  assert.equal(await k.stored(), before);
});

test('execute with the documented JWT renders a stream that passes the checks; a retry answers the same render', async () => {
  const c = await k.connector({ mode: 'eager' });
  const a = await call(c.id, 'execute', SPEC_TOKEN);
  assert.equal(a.status, 200, a.text);
  assert.deepEqual(Object.keys(a.body).sort(), ['expires_at', 'external_id', 'mp4_url', 'playlist_url', 'poster_url', 'render_id', 'status', 'watch_url']);
  assert.ok(Object.values(a.body).every((v) => typeof v === 'string'), 'flat strings, as outArguments');
  assert.equal(a.body.external_id, `${c.id}:0031x00000AbCdE:${JOURNEY}`);
  await k.assertRendered(a.body, { name: '山田 太郎', amount: 125000 });
  // Journey Builder retries (a new token, same contact and data): same render, nothing new stored.
  await k.assertSameRender(a.body, async () => call(c.id, 'execute', await sign(execPayload, SECRET, Math.floor(Date.now() / 1000) + 60)));
});

test('tampered, wrong-secret, alg "none", HS512, expired and missing tokens get 401; lifecycle calls answer {} and render nothing', async () => {
  const c = await k.connector();
  const before = await k.stored();
  const good = await sign(execPayload);
  const [h, p, s] = good.split('.') as [string, string, string];
  const flipped = Buffer.from(p, 'base64url').toString('utf8').replace('125000', '999999');
  const b64 = (o: object | string) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
  const hs512 = await new SignJWT(execPayload as never).setProtectedHeader({ alg: 'HS512' }).sign(new TextEncoder().encode(SECRET));
  const cases: Array<[string, string, string | undefined]> = [
    ['tampered payload', 'execute', `${h}.${b64(flipped)}.${s}`],
    ['wrong secret', 'execute', await sign(execPayload, 'not-the-packages-signing-secret')],
    ['alg none', 'execute', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`],
    ['alg none, signature kept', 'execute', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.${s}`],
    ['HS512', 'execute', hs512],
    ['expired', 'execute', await sign(execPayload, SECRET, Math.floor(Date.now() / 1000) - 3600)],
    ['JSON instead of a JWT', 'execute', JSON.stringify(execPayload)],
    ['no body', 'execute', undefined],
    ['publish, wrong secret', 'publish', await sign({ activityObjectID: 'x' }, 'not-the-packages-signing-secret')],
  ];
  for (const [what, sub, body] of cases) {
    const r = await call(c.id, sub, body);
    assert.equal(r.status, 401, `${what}: ${r.text}`);
    assert.equal(r.body.error.code, 'unauthorized', what);
    assert.ok(!r.text.includes('山田'), `${what} echoes the payload`);
  }
  assert.equal((await call('c_AAAAAAAAAAAAAAAA', 'execute', good)).status, 404);
  assert.equal((await call(c.id, '', good)).status, 404, 'the root is not the execute URL');
  assert.equal((await call(c.id, 'nope', good)).status, 404);
  const lifecycle = { activityObjectID: execPayload.activityObjectID, interactionId: JOURNEY, originalDefinitionId: JOURNEY, interactionKey: 'k', interactionVersion: '1' };
  for (const sub of ['save', 'validate', 'publish', 'stop']) {
    const r = await call(c.id, sub, await sign(lifecycle));
    assert.equal(r.status, 200, `${sub}: ${r.text}`);
    assert.deepEqual(r.body, {});
  }
  const bad = await call(c.id, 'execute', await sign({ ...execPayload, inArguments: { lastname: 'x' } }));
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.problems[0].pointer, '/inArguments');
  assert.equal(await k.stored(), before);
});
