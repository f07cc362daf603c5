// Views that count: scripted viewers (page GETs with phone and crawler user agents,
// beacons as the watch page posts them) → each render's first-seen steps and furthest
// point in its status, and its template version's funnel at GET /v1/templates/:id/stats,
// exact. Crawlers, prefetches and repeats do not count; a flood gets 429 and changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectTestRedis, startTestService, type TestService } from './helpers/service.ts';
import { textLayer, writeTinyTemplate } from './helpers/tiny-template.ts';
import { isCrawler } from '../src/events/crawlers.ts';
import { BEACON_LIMIT } from '../src/events/views.ts';

const TINY = 'views-tiny';
const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-views-'));
const templates = path.join(root, 'templates');
let t: TestService;
let v1: string;

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
/** A person tapping the link inside LINE: its in-app browser says "Line/…", and counts. */
const LINE_APP = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.9.0';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
const CUBOT = 'Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0';
const CRAWLERS = [
  'facebookexternalhit/1.1;line-poker/1.0', // LINE's link preview
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
  'Twitterbot/1.0',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)',
  'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
  'TelegramBot (like TwitterBot)',
  'WhatsApp/2.23.20.0',
  'Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)',
  'Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)',
  'curl/8.5.0',
];

async function lazyRender(externalId: string, name = '視聴太郎'): Promise<{ id: string; token: string; player_url: string; version: string; status: number }> {
  const r = await t.api('POST', '/v1/renders', { template: TINY, data: { name }, mode: 'lazy', external_id: externalId });
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
  return { ...r.body, status: r.status, token: r.body.player_url.split('/v/')[1].replace(/\/$/, '') };
}

const open = (r: { player_url: string }, ua: string | undefined, init: RequestInit = {}) =>
  fetch(r.player_url, { ...init, headers: { ...(ua !== undefined ? { 'user-agent': ua } : {}), ...(init.headers as Record<string, string> | undefined) } });

const beacon = (r: { token: string }, body: unknown, contentType = 'application/json') =>
  fetch(`${t.url}/v/${r.token}/events`, { method: 'POST', headers: { 'content-type': contentType, 'user-agent': IPHONE }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function views(id: string): Promise<any> {
  const s = await t.api('GET', `/v1/renders/${id}`);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  return s.body.views;
}

async function stats(query = ''): Promise<any> {
  const s = await t.api('GET', `/v1/templates/${TINY}/stats${query}`);
  assert.equal(s.status, 200, JSON.stringify(s.body));
  return s.body;
}

before(async () => {
  await writeTinyTemplate(templates, { id: TINY, name: 'views', seconds: 2, fields: { name: { type: 'string', required: true, maxLength: 10, example: '山田' } }, layers: [textLayer('{{name}}', 32)] });
  // The webhook receiver of the last test is on 127.0.0.1.
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: templates, KASANE_RENDER_ATTEMPTS: '1', KASANE_EVENT_ALLOW_PRIVATE: '1' } });
  v1 = (await t.svc.prepareBundled())[0]!.version;
});

after(async () => {
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

test('link-preview crawlers, search bots and HTTP tools are told apart from people (LINE in-app and CUBOT phones are people)', () => {
  for (const ua of [IPHONE, LINE_APP, ANDROID, CUBOT, DESKTOP]) assert.equal(isCrawler(ua), false, ua);
  for (const ua of [...CRAWLERS, undefined, '']) assert.equal(isCrawler(ua), true, String(ua));
});

test('scripted views: the funnel per version is exact, crawlers and repeats do not count, each render shows first-seen times and how far it was watched', async () => {
  const a = await lazyRender('view-a', '花子');
  const b = await lazyRender('view-b', '次郎');
  const c = await lazyRender('view-c', '三郎');
  const d = await lazyRender('view-d', '四郎');
  // The MA tool retrying the same request issues no new link.
  assert.equal((await lazyRender('view-a', '花子')).status, 200);

  // A: opened twice on an iPhone, watched to the end with repeats, CTA tapped, replayed twice.
  assert.equal((await open(a, IPHONE)).status, 200);
  assert.equal((await beacon(a, { type: 'video.started' })).status, 204);
  const firstStart = (await views(a.id)).started_at;
  assert.ok(firstStart);
  await new Promise((res) => setTimeout(res, 20));
  for (const body of [
    { type: 'video.started' }, { type: 'video.progress', percent: 25 }, { type: 'video.progress', percent: 50 }, { type: 'video.progress', percent: 50 },
    { type: 'video.progress', percent: 75 }, { type: 'video.completed' }, { type: 'cta.clicked' }, { type: 'cta.clicked' },
    { type: 'video.replayed' }, { type: 'video.started' }, { type: 'video.replayed' },
  ]) assert.equal((await beacon(a, body)).status, 204, JSON.stringify(body));
  assert.equal((await open(a, IPHONE)).status, 200);

  // B: opened in LINE's in-app browser, started, left at 25 %; sendBeacon's text/plain body is read as JSON.
  assert.equal((await open(b, LINE_APP)).status, 200);
  assert.equal((await beacon(b, { type: 'video.started' }, 'text/plain;charset=UTF-8')).status, 204);
  assert.equal((await beacon(b, { type: 'video.progress', percent: 25 })).status, 204);

  // C: only previews and a prefetch fetched its link: the page is served, nothing counts.
  for (const ua of CRAWLERS) assert.equal((await open(c, ua)).status, 200, ua);
  assert.equal((await open(c, undefined)).status, 200);
  assert.equal((await open(c, IPHONE, { method: 'HEAD' })).status, 200);
  assert.equal((await open(c, ANDROID, { headers: { 'sec-purpose': 'prefetch;prerender' } })).status, 200);
  // D: the link was sent and never opened.

  const va = await views(a.id);
  assert.equal(va.started_at, firstStart, 'a repeated start keeps the first time');
  assert.equal(va.opens, 2);
  assert.equal(va.replays, 2);
  assert.equal(va.furthest_percent, 100);
  const order = [va.opened_at, va.started_at, va.progress_25_at, va.progress_50_at, va.progress_75_at, va.completed_at, va.cta_clicked_at, va.replayed_at];
  assert.ok(order.every((x) => typeof x === 'string'), JSON.stringify(va));
  assert.deepEqual([...order].sort(), order, 'first-seen times follow the order they happened in');

  const vb = await views(b.id);
  assert.equal(vb.opens, 1);
  assert.ok(vb.opened_at && vb.started_at && vb.progress_25_at);
  assert.equal(vb.furthest_percent, 25);
  assert.equal(vb.completed_at, null);
  assert.equal(vb.replays, 0);
  for (const r of [c, d]) {
    const v = await views(r.id);
    assert.deepEqual(v, { opened_at: null, opens: 0, started_at: null, progress_25_at: null, progress_50_at: null, progress_75_at: null, completed_at: null, cta_clicked_at: null, replayed_at: null, replays: 0, furthest_percent: null });
  }

  const s = await stats(`?version=${v1}`);
  assert.deepEqual(s.counts, { issued: 4, opened: 2, started: 2, progress_25: 2, progress_50: 1, progress_75: 1, completed: 1, cta_clicked: 1, replayed: 1 });
  assert.deepEqual(s.funnel, [
    { step: 'issued', count: 4, of_previous: null, of_issued: null },
    { step: 'opened', count: 2, of_previous: 0.5, of_issued: 0.5 },
    { step: 'started', count: 2, of_previous: 1, of_issued: 0.5 },
    { step: 'progress_50', count: 1, of_previous: 0.5, of_issued: 0.25 },
    { step: 'completed', count: 1, of_previous: 1, of_issued: 0.25 },
    { step: 'cta_clicked', count: 1, of_previous: 1, of_issued: 0.25 },
  ]);
});

test('a flood of event posts gets 429 with Retry-After and changes no count; the page is still served', async () => {
  const before = await stats(`?version=${v1}`);
  const e = await lazyRender('view-flood');
  // Bad posts spend the allowance too: some fail validation, some are not JSON at all.
  for (let i = 0; i < BEACON_LIMIT; i++) {
    const res = await beacon(e, i % 3 === 1 ? { type: 'video.paused' } : i % 3 === 2 ? '{"type":' : { type: 'video.started' });
    assert.equal(res.status, [204, 422, 400][i % 3], String(i));
  }
  const limited = await beacon(e, { type: 'video.completed' });
  assert.equal(limited.status, 429);
  const body = await limited.json();
  assert.equal(body.error.code, 'too_many_events');
  const wait = Number(limited.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 60, `retry-after ${wait}`);
  assert.equal(limited.headers.get('access-control-allow-origin'), '*');
  assert.equal((await beacon(e, 'not json', 'text/plain')).status, 429);
  assert.equal((await open(e, IPHONE)).status, 200, 'the page never fails');

  const v = await views(e.id);
  assert.equal(v.completed_at, null, 'the post past the limit was not recorded');
  assert.equal(v.furthest_percent, 0);
  const after = await stats(`?version=${v1}`);
  assert.deepEqual(after.counts, { ...before.counts, issued: before.counts.issued + 1, opened: before.counts.opened + 1, started: before.counts.started + 1 });

  // Another render's allowance is its own; a body too big to be a beacon is refused before it is read.
  const other = await lazyRender('view-flood-other');
  assert.equal((await beacon(other, { type: 'video.started' })).status, 204);
  assert.equal((await beacon(other, JSON.stringify({ type: 'video.started', pad: 'x'.repeat(4096) }))).status, 413);
});

test('stats per template version: all versions summed with each beside it, ?version= for one; unknown ids are 404, bad ones 4xx', async () => {
  // A new version of the template (the text a bit smaller), prepared and activated.
  await writeTinyTemplate(templates, { id: TINY, name: 'views', seconds: 2, fields: { name: { type: 'string', required: true, maxLength: 10, example: '山田' } }, layers: [textLayer('{{name}}', 30)] });
  const v2 = (await t.svc.prepareBundled())[0]!.version;
  assert.notEqual(v2, v1);
  const r = await lazyRender('view-v2');
  assert.equal(r.version, v2);
  await open(r, ANDROID);
  await beacon(r, { type: 'video.started' });

  const one = await stats(`?version=${v2}`);
  assert.equal(one.version, v2);
  assert.deepEqual(one.counts, { issued: 1, opened: 1, started: 1, progress_25: 0, progress_50: 0, progress_75: 0, completed: 0, cta_clicked: 0, replayed: 0 });
  const old = await stats(`?version=${v1}`);
  const all = await stats();
  assert.equal(all.version, null);
  assert.deepEqual(all.versions.map((x: any) => x.version).sort(), [v1, v2].sort());
  assert.deepEqual(all.versions.find((x: any) => x.version === v1).counts, old.counts);
  for (const k of Object.keys(all.counts)) assert.equal(all.counts[k], old.counts[k] + one.counts[k], k);
  assert.equal(all.funnel[1].of_issued, Math.round((all.counts.opened / all.counts.issued) * 10_000) / 10_000);

  assert.equal((await t.api('GET', '/v1/templates/no-such-template/stats')).status, 404);
  assert.equal((await t.api('GET', `/v1/templates/${TINY}/stats?version=v0000000000000000`)).status, 404);
  const bad = await t.api('GET', `/v1/templates/${TINY}/stats?version=latest`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.problems[0].pointer, 'query:version');
  assert.equal((await fetch(`${t.url}/v1/templates/${TINY}/stats`)).status, 401);
});

test('stats over the last N days (?days=30): what was counted today is in it, a day 40 days back only in a 90-day window; the default stays all time', async () => {
  const all = await stats();
  assert.ok(all.counts.issued > 0 && all.counts.opened > 0, JSON.stringify(all.counts));
  assert.equal(all.days, undefined, 'without ?days the answer is unchanged: all time');
  const w30 = await stats('?days=30');
  // Everything in this file was counted today.
  assert.deepEqual(w30.counts, all.counts);
  assert.deepEqual(w30.versions.map((x: any) => x.counts), all.versions.map((x: any) => x.counts));
  assert.equal(w30.days, 30);
  const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
  assert.equal(w30.since, day(29));
  assert.deepEqual((await stats(`?days=1&version=${v1}`)).counts, (await stats(`?version=${v1}`)).counts);
  // A day's counters as they were left 40 days ago (written as the service writes them).
  const redis = connectTestRedis(t.varDir);
  try {
    await redis.hincrby(`kasane:stats:${TINY}:day:${day(40)}`, `${v1}:issued`, 5);
    const ttl = await redis.ttl(`kasane:stats:${TINY}:day:${day(0)}`);
    assert.ok(ttl > 90 * 86_400 && ttl <= 92 * 86_400, `today's counters expire after the longest window (${ttl} s)`);
  } finally {
    redis.disconnect();
  }
  assert.equal((await stats('?days=30')).counts.issued, all.counts.issued);
  assert.equal((await stats('?days=90')).counts.issued, all.counts.issued + 5);
  for (const bad of ['0', '91', 'month']) {
    const r = await t.api('GET', `/v1/templates/${TINY}/stats?days=${bad}`);
    assert.equal(r.status, 400, bad);
    assert.equal(r.body.error.problems[0].pointer, 'query:days');
  }
  assert.equal((await t.api('GET', '/v1/templates/no-such-template/stats?days=30')).status, 404);
});

test('video.replayed goes out to an endpoint subscribed to it, once a minute however often the page reports it', async () => {
  const got: string[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => { got.push(body); res.writeHead(200).end(); });
  });
  await new Promise<void>((res) => receiver.listen(0, '127.0.0.1', res));
  try {
    const ep = await t.api('POST', '/v1/webhook-endpoints', { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`, events: ['video.replayed'] });
    assert.equal(ep.status, 201, JSON.stringify(ep.body));
    const r = await lazyRender('view-replay');
    for (let i = 0; i < 3; i++) assert.equal((await beacon(r, { type: 'video.replayed' })).status, 204);
    for (const end = Date.now() + 20_000; !got.length && Date.now() < end; ) await new Promise((res) => setTimeout(res, 50));
    await new Promise((res) => setTimeout(res, 500)); // room for a duplicate to arrive
    assert.equal(got.length, 1);
    const ev = JSON.parse(got[0]!);
    assert.equal(ev.type, 'video.replayed');
    assert.equal(ev.data.render_id, r.id);
    assert.equal((await views(r.id)).replays, 3);
    await t.api('DELETE', `/v1/webhook-endpoints/${ep.body.id}`);
  } finally {
    await new Promise((res) => receiver.close(res));
  }
});
