// The operator pages: the queue dashboard (bull-board) at /admin/queues behind the
// admin key, as a Bearer header (scripts) or as the Basic password a browser asks
// for; Swagger UI at /docs. Both open in a real Chromium without a single request
// to another origin (no CDN, no web fonts, no validator badge).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser } from 'playwright-core';
import { startTestService, API_KEY, type TestService } from './helpers/service.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/player.ts';

let t: TestService;
let browser: Browser;

before(async () => {
  t = await startTestService({ worker: false });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await t?.close();
});

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

test('/admin/queues answers 401 with a Basic challenge without the admin key, 200 with it as Bearer or Basic password', async () => {
  for (const headers of [{}, { authorization: 'Bearer not-the-key-0123456789' }, { authorization: basic('admin', 'not-the-key-0123456789') }] as Array<Record<string, string>>) {
    const res = await fetch(`${t.url}/admin/queues`, { headers });
    assert.equal(res.status, 401, JSON.stringify(headers));
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    assert.equal((await res.json()).error.code, 'unauthorized');
  }
  // Its JSON API (what the page calls) is behind the key too.
  assert.equal((await fetch(`${t.url}/admin/queues/api/queues`)).status, 401);
  for (const authorization of [`Bearer ${API_KEY}`, basic('anyone', API_KEY)]) {
    const page = await fetch(`${t.url}/admin/queues`, { headers: { authorization } });
    assert.equal(page.status, 200, authorization.split(' ')[0]);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.ok(!/https?:\/\//.test(html.replace(/<!DOCTYPE[^>]*>/i, '')), `the page links elsewhere: ${html.match(/https?:\/\/[^"' ]+/)?.[0]}`);
    const api = await fetch(`${t.url}/admin/queues/api/queues`, { headers: { authorization } });
    assert.equal(api.status, 200);
    const names = ((await api.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    assert.deepEqual(names, ['kasane-batch', 'kasane-prepare', 'kasane-render', 'kasane-webhook'].sort());
  }
});

/** Opens a page in Chromium and returns every URL it requested. */
async function visit(url: string, credentials?: { username: string; password: string }, waitFor?: string) {
  const ctx = await browser.newContext(credentials ? { httpCredentials: credentials } : {});
  const page = await ctx.newPage();
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  try {
    const res = await page.goto(url, { waitUntil: 'networkidle' });
    if (waitFor) await page.getByText(waitFor).first().waitFor({ timeout: 15_000 });
    return { status: res?.status(), requested, text: await page.innerText('body') };
  } finally {
    await ctx.close();
  }
}

test('in a browser, the queue dashboard asks for the key and then shows the queues, all from this origin', async () => {
  // Without credentials Chromium gets the Basic challenge (and headless, gives up at once).
  await assert.rejects(visit(`${t.url}/admin/queues`), /ERR_INVALID_AUTH_CREDENTIALS/);
  const shown = await visit(`${t.url}/admin/queues`, { username: 'admin', password: API_KEY }, 'kasane-render');
  assert.equal(shown.status, 200);
  assert.match(shown.text, /kasane-render/);
  const foreign = shown.requested.filter((u) => !u.startsWith(t.url) && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'requests to another origin');
});

test('/docs shows the API in Swagger UI from this origin only, and /docs/json is the OpenAPI 3.1 document', async () => {
  const spec = (await (await fetch(`${t.url}/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
  assert.equal(spec.openapi, '3.1.0');
  assert.ok(spec.paths['/v1/renders']);
  const page = await fetch(`${t.url}/docs`);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.ok(!/https:|validator/.test(csp), `the page may load from elsewhere: ${csp}`);
  assert.match(await (await fetch(`${t.url}/docs/static/swagger-initializer.js`)).text(), /"validatorUrl":null/);
  const shown = await visit(`${t.url}/docs`, undefined, 'Accept a render for one person');
  assert.equal(shown.status, 200);
  const foreign = shown.requested.filter((u) => !u.startsWith(t.url) && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'requests to another origin');
  assert.ok(!/validator/i.test(shown.requested.join(' ')), 'no validator badge');
});
