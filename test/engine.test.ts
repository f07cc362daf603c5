// End to end on the bundled template: real redis-server, ffmpeg, HTTP and Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { startTestService, SHARED_STORAGE, type TestService } from './helpers/service.ts';
import { serveReference, frameRgb, meanAbsDiff } from './helpers/stream.ts';
import { checkStream } from './support/hls-checks.ts';
import { playInChromium, playbackFailures } from './support/player.ts';
import { drawTextLayer } from '../src/overlays/index.ts';
import { signToken } from '../src/viewer/signing.ts';
import { resolveInputs, segmentKeys } from '../src/render/personalize.ts';
import type { TemplatePlan } from '../src/templates/plan.ts';
import type { TextLayer } from '../src/overlays/types.ts';

let t: TestService;
let plan: TemplatePlan;
let ref: Awaited<ReturnType<typeof serveReference>>;
const TEMPLATE = 'energy-savings';
let seq = 0;
/** Distinct data per test so each one really renders. */
const person = (name = `テスト${Date.now() % 100000}-${seq++}`) => ({ name, savings: 12000 });

async function waitDone(id: string, ms = 90_000): Promise<any> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await t.api('GET', `/v1/renders/${id}`);
    if (r.body.state === 'done' || r.body.state === 'failed') return r.body;
    if (Date.now() > end) throw new Error(`render ${id} still ${r.body.state}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

before(async () => {
  t = await startTestService();
  await t.svc.prepareBundled();
  const list = await t.api('GET', '/v1/templates');
  assert.equal(list.status, 200);
  const version = list.body.templates.find((x: { id: string }) => x.id === TEMPLATE).version;
  plan = JSON.parse((await import('node:fs')).readFileSync(path.join(SHARED_STORAGE, `templates/${TEMPLATE}/${version}/plan.json`), 'utf8'));
  ref = await serveReference(plan);
});

after(async () => {
  await ref?.server.close();
  await t?.close();
});

test('templates are listed with their fields and example data', async () => {
  const r = await t.api('GET', `/v1/templates/${TEMPLATE}`);
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body.fields).sort(), ['name', 'savings']);
  assert.equal(r.body.example.savings, 12000);
  const dynamic = plan.segments.filter((s) => s.kind === 'dynamic');
  assert.deepEqual(r.body.segments, { total: plan.segments.length, personalized: 2, personalized_seconds: Number(dynamic.reduce((a, s) => a + s.duration, 0).toFixed(3)) });
  assert.equal((await t.api('GET', '/v1/templates/none')).status, 404);
  assert.equal((await t.api('GET', '/v1/templates', undefined, { authorization: 'Bearer wrong-key-0123456789' })).status, 401);
});

test('accept answers before any segment exists, and the first segment plays at once', async () => {
  const data = person();
  const res = await t.api('POST', '/v1/renders', { template: TEMPLATE, data });
  assert.equal(res.status, 201);
  // Nothing personal exists yet when the link is handed out …
  const keys = segmentKeys(plan, resolveInputs(plan, data), Buffer.from('test-content-secret-0123456789'));
  assert.deepEqual(Object.keys(keys), ['1', '3']);
  for (const k of Object.values(keys)) assert.equal(existsSync(path.join(SHARED_STORAGE, k)), false, 'accept did not wait for rendering');
  // … yet the playlist is complete and the first (shared) segment comes back immediately.
  const pl = await fetch(res.body.playlist_url);
  assert.equal(pl.status, 200);
  const text = await pl.text();
  assert.match(text, /#EXT-X-PLAYLIST-TYPE:VOD/);
  assert.match(text, /#EXT-X-ENDLIST/);
  const first = await fetch(res.body.playlist_url.replace('index.m3u8', '0.ts'));
  assert.equal(first.status, 200);
  assert.equal((await first.arrayBuffer()).byteLength, Number(first.headers.get('content-length')));
  const before = await t.api('GET', `/v1/renders/${res.body.id}`);
  assert.ok(before.body.state !== 'done', 'the first segment did not wait for the whole render');
  // A personalized segment requested early waits for the worker and is served whole.
  const dyn = await fetch(res.body.playlist_url.replace('index.m3u8', '1.ts'));
  assert.equal(dyn.status, 200);
  const body = Buffer.from(await dyn.arrayBuffer());
  assert.equal(Number(dyn.headers.get('content-length')), body.length);
  assert.equal(body.length % 188, 0);
  const done = await waitDone(res.body.id);
  assert.equal(done.state, 'done');
  assert.deepEqual(done.progress, { ready: 2, total: 2 });
});

test('the stitched stream passes every stream check against the template encode', async () => {
  const res = await t.api('POST', '/v1/renders', { template: TEMPLATE, data: person('山田 太郎') , external_id: 'checks' });
  await waitDone(res.body.id);
  const report = await checkStream(res.body.playlist_url, { reference: ref.url, refetchSegments: true });
  assert.deepEqual(report.failures, []);
  assert.ok(report.ok);
  assert.equal(report.ffmpegWarnings.trim(), '');
  assert.ok(Math.abs(report.totalExtinf - 30) < 0.001);
});

test('hls.js in Chromium plays the finished personalized stream to the end: no errors, holes or stalls', async () => {
  const res = await t.api('POST', '/v1/renders', { template: TEMPLATE, data: person() });
  await waitDone(res.body.id);
  const report = await playInChromium(res.body.playlist_url, { playbackRate: 2, timeoutMs: 120_000 });
  assert.deepEqual(playbackFailures(report), []);
  assert.ok(report.ended);
  assert.ok(Math.abs(report.duration - 30) < 0.1);
});

test('a viewer opening the link at the moment of accept plays to the end through the just-in-time path', async () => {
  const res = await t.api('POST', '/v1/renders', { template: TEMPLATE, data: person() });
  const report = await playInChromium(res.body.playlist_url, { playbackRate: 2, timeoutMs: 120_000 });
  // Correctness must hold; a brief stall while a segment renders is a speed matter
  // (measured in bench/), so it is reported here rather than failed.
  const stalls = (f: string) => /bufferStalledError|'waiting' event/.test(f);
  assert.deepEqual(playbackFailures(report).filter((f) => !stalls(f.replace(/^errors: /, ''))), []);
  assert.ok(report.errors.every((e) => /bufferStalledError/.test(e)), report.errors.join(' | '));
  assert.ok(report.ended);
  if (report.waitingAfterStart) console.log(`# JIT: ${report.waitingAfterStart} stall(s) at 2x playback from accept`);
});

test('a frame inside an overlay window shows the personalized text; frames outside are the template', async () => {
  const name = '髙﨑 花子';
  const res = await t.api('POST', '/v1/renders', { template: TEMPLATE, data: { name, savings: 34567 } });
  await waitDone(res.body.id);
  const layer = plan.manifest.layers.find((l) => l.id === 'greeting') as TextLayer;
  const box = layer.box;
  const inside = 4 * 30; // 4 s: middle of the 2–6 s window, fade finished
  const [mine, base] = await Promise.all([frameRgb(res.body.playlist_url, inside, box), frameRgb(ref.url, inside, box)]);
  // Composite the overlay image over the template frame ourselves; the video must match it.
  const expect = async (text: string) => {
    const drawn = await drawTextLayer(layer, text);
    const img = await loadImage(drawn.png);
    const c = createCanvas(box.width, box.height);
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const ov = g.getImageData(0, 0, box.width, box.height).data;
    const out = Buffer.alloc(box.width * box.height * 3);
    for (let p = 0; p < box.width * box.height; p++) {
      const a = ov[p * 4 + 3]! / 255;
      for (let ch = 0; ch < 3; ch++) out[p * 3 + ch] = Math.round(ov[p * 4 + ch]! * a + base[p * 3 + ch]! * (1 - a));
    }
    return out;
  };
  const good = meanAbsDiff(mine, await expect(`${name}様`));
  const wrong = meanAbsDiff(mine, await expect('佐藤 一郎様'));
  assert.ok(good < 4, `video matches its overlay (mean diff ${good.toFixed(2)})`);
  assert.ok(wrong > good * 2 && wrong > 4, `another name's overlay does not match (${wrong.toFixed(2)} vs ${good.toFixed(2)})`);
  assert.ok(meanAbsDiff(mine, base) > 20, 'the overlay changed the picture');
  for (const outside of [59, 8 * 30, 20 * 30]) {
    const [a, b] = await Promise.all([frameRgb(res.body.playlist_url, outside, box), frameRgb(ref.url, outside, box)]);
    assert.equal(meanAbsDiff(a, b), 0, `frame ${outside} is the shared template frame`);
  }
});

test('the same template version, data and external_id give the same render and link', async () => {
  const body = { template: TEMPLATE, data: person(), external_id: 'crm-42' };
  const a = await t.api('POST', '/v1/renders', body);
  const b = await t.api('POST', '/v1/renders', { ...body, data: { ...body.data, savings: '12000', extra_crm_field: 'ignored' } });
  assert.equal(a.status, 201);
  assert.equal(b.status, 200);
  assert.equal(b.body.id, a.body.id);
  assert.equal(b.body.playlist_url, a.body.playlist_url);
  const c = await t.api('POST', '/v1/renders', { ...body, external_id: 'crm-43' });
  assert.notEqual(c.body.id, a.body.id);
  const done = await waitDone(a.body.id);
  assert.equal(done.attempts, 1, 'rendered once');
  // Same overlay content → the personalized segments are shared, not encoded again:
  // each is encoded by one of the two renders, the other reports it shared, and both
  // links serve the very same bytes.
  const other = await waitDone(c.body.id);
  assert.equal(other.state, 'done');
  const dynamic = (r: any) => r.segments.filter((s: any) => s.kind === 'dynamic');
  assert.equal(dynamic(done).length, 2);
  for (const [k, s] of dynamic(done).entries()) {
    const o = dynamic(other)[k];
    assert.equal(s.state, 'ready');
    assert.equal(o.state, 'ready');
    assert.deepEqual([s.shared, o.shared].sort(), [false, true], `segment ${s.index}: encoded once (shared ${s.shared} / ${o.shared})`);
    const get = async (url: string) => Buffer.from(await (await fetch(url.replace('index.m3u8', `${s.index}.ts`))).arrayBuffer());
    const [x, y] = [await get(a.body.playlist_url), await get(c.body.playlist_url)];
    assert.ok(x.length > 0 && x.equals(y), `segment ${s.index}: both links serve the same stored bytes`);
  }
});

test('bad input gets a precise 4xx, never a 500', async () => {
  const post = (body: unknown, headers?: Record<string, string>) => t.api('POST', '/v1/renders', body, headers);
  let r = await post({ template: 'no-such-template', data: {} });
  assert.equal(r.status, 404);
  r = await post({ template: TEMPLATE, data: { name: 'x'.repeat(10_000), savings: 'lots', extra: 1 } });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.error.problems.map((p: { pointer: string }) => p.pointer).sort(), ['/data/name', '/data/savings']);
  assert.ok(!JSON.stringify(r.body).includes('xxxxxxxxxx'), 'error does not echo the data');
  r = await post({ template: TEMPLATE, data: { savings: 1 } });
  assert.deepEqual(r.body.error.problems.map((p: { pointer: string }) => p.pointer), ['/data/name']);
  r = await post({ template: TEMPLATE, data: { name: '山田🎉', savings: 1 } });
  assert.equal(r.status, 422);
  assert.match(r.body.error.problems[0].message, /emoji/);
  r = await post({ template: TEMPLATE, data: 'x', mode: 'fast', expires_in: 5 });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.error.problems.map((p: { pointer: string }) => p.pointer).sort(), ['/expires_in', '/mode']);
  r = await post('{"template": "energy-savings", "data": {');
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'malformed_json');
  r = await post(JSON.stringify({ template: TEMPLATE, data: { name: 'a'.repeat(400_000), savings: 1 } }));
  assert.equal(r.status, 413);
  r = await post('[]');
  assert.equal(r.status, 400);
  r = await post({ template: TEMPLATE, data: { name: 'x', savings: 1 } }, { authorization: '' });
  assert.equal(r.status, 401);
  r = await post('{"__proto__": {"x": 1}, "template": "energy-savings"}');
  assert.ok(r.status >= 400 && r.status < 500);
  // Markup and template syntax in data are drawn as plain text, never evaluated.
  for (const name of ['<svg onload=x>', '{{name}}{{#each}}', "'; drop table;--", 'Ω\\n']) {
    r = await post({ template: TEMPLATE, data: { name, savings: 1 } });
    assert.equal(r.status, 201, name);
    const done = await waitDone(r.body.id);
    assert.equal(done.state, 'done', name);
  }
});

test('viewer links: missing, tampered and expired tokens are refused', async () => {
  const res = await t.api('POST', '/v1/renders', { template: TEMPLATE, data: person(), mode: 'lazy' });
  const url: string = res.body.playlist_url;
  const token = url.split('/v/')[1]!.split('/')[0]!;
  assert.equal((await (await fetch(url)).text()).startsWith('#EXTM3U'), true);
  for (const bad of [url.replace(token, ''), url.replace(token, token.slice(0, -2) + 'AA'), url.replace(token, token.replace(/\.(\d+)\./, (_m, e) => `.${Number(e) + 1}.`))]) {
    for (const file of ['index.m3u8', '0.ts', '1.ts']) {
      const r = await fetch(bad.replace('index.m3u8', file));
      assert.ok(r.status === 403 || r.status === 404, `${file} with a bad token → ${r.status}`);
    }
  }
  const id = res.body.id;
  const expired = signToken([{ id: 'k1', secret: Buffer.from('test-signing-secret-0123456789') }], id, Math.floor(Date.now() / 1000) - 5);
  for (const file of ['index.m3u8', '0.ts', '1.ts']) assert.equal((await fetch(`${t.url}/v/${expired}/${file}`)).status, 410);
  // Static segments are shared and cacheable, addressed by template version (no token, so a CDN
  // caches them by path and never mixes templates); personal ones are private, under the token.
  const uris = (await (await fetch(url)).text()).split('\n').filter((l) => l && !l.startsWith('#'));
  plan.segments.forEach((s, i) => assert.equal(uris[i], s.kind === 'static' ? `/s/${TEMPLATE}/${plan.version}/${i}.ts` : `${i}.ts`));
  const s0 = await fetch(new URL(uris[0]!, url));
  assert.equal(s0.status, 200);
  assert.match(s0.headers.get('cache-control')!, /public/);
  await s0.arrayBuffer();
  const s1 = await fetch(url.replace('index.m3u8', '1.ts'));
  assert.match(s1.headers.get('cache-control')!, /private/);
  await s1.arrayBuffer();
  // Repeated playlist GETs are byte-identical.
  assert.equal(await (await fetch(url)).text(), await (await fetch(url)).text());
});

test('lazy mode renders nothing until the link is opened', async () => {
  const res = await t.api('POST', '/v1/renders', { template: TEMPLATE, data: person(), mode: 'lazy' });
  assert.equal(res.status, 201);
  assert.equal(res.body.state, 'lazy');
  await new Promise((r) => setTimeout(r, 1500));
  let st = await t.api('GET', `/v1/renders/${res.body.id}`);
  assert.equal(st.body.state, 'lazy');
  assert.equal(st.body.progress.ready, 0);
  assert.equal((await fetch(res.body.playlist_url)).status, 200);
  assert.equal((await waitDone(res.body.id)).state, 'done');
});

test('the player page and health check answer', async () => {
  const res = await t.api('POST', '/v1/renders', { template: TEMPLATE, data: person(), mode: 'lazy' });
  const page = await fetch(res.body.player_url);
  assert.equal(page.status, 200);
  // The page's script (one content-hashed file) plays the stitched stream.
  const script = /<script defer src="(\/player\/watch\.[0-9a-f]+\.js)">/.exec(await page.text())?.[1];
  assert.ok(script, 'the page loads its script');
  assert.match(await (await fetch(new URL(script, res.body.player_url))).text(), /index\.m3u8/);
  const js = await fetch(`${t.url}/player/hls.min.js`);
  assert.equal(js.status, 200);
  assert.ok((await js.text()).length > 100_000);
  const h = await fetch(`${t.url}/healthz`);
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { ok: true, checks: { redis: 'ok', storage: 'ok' } });
  assert.ok(existsSync(path.join(t.varDir, 'redis', 'appendonlydir')) || existsSync(path.join(t.varDir, 'redis', 'appendonly.aof')), 'embedded Redis keeps an AOF under var/');
});

test('the portrait sample (items grid and savings chart) renders and passes the stream checks', async () => {
  const tpl = await t.api('GET', '/v1/templates/phone-plan');
  assert.equal(tpl.status, 200);
  assert.equal(tpl.body.width, 1080);
  assert.equal(tpl.body.height, 1920);
  const res = await t.api('POST', '/v1/renders', { template: 'phone-plan', data: { ...tpl.body.example, name: `縦型${seq++}` } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const done = await waitDone(res.body.id, 180_000);
  assert.equal(done.state, 'done', done.error);
  const report = await checkStream(res.body.playlist_url);
  assert.deepEqual(report.failures, []);
});
