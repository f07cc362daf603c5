// CRM operators' path: upload real packages built here, validation reports,
// previews with pixel checks, every layer type rendered into video, product
// images that fail, versions that never change renders already made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import { loadImage } from '@napi-rs/canvas';
import { decode, region, solidPng } from './support/pixels.ts';
import { startTestService, API_KEY, type TestService } from './helpers/service.ts';
import { frameRgb } from './helpers/stream.ts';
import { checkStream } from './support/hls-checks.ts';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';
import { makeZip } from './support/raw-zip.ts';
import { packageFiles } from '../src/templates/prepare.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-tpl-'));
let t: TestService;
let images: Server;
let imgBase = '';

const VIDEO = path.join(root, 'clip.mp4');
const FALLBACK = '#00c8c8';
const manifest = (over: Record<string, unknown> = {}) => ({
  id: 'shop',
  name: 'テスト用ショップ',
  video: { file: 'clip.mp4' },
  encoder: { preset: 'ultrafast' },
  fields: {
    name: { type: 'string', required: true, maxLength: 8, example: '山田', worst: '髙﨑ジェニファー' },
    items: {
      type: 'array', required: true, minItems: 1, maxItems: 3,
      items: { type: 'object', properties: { name: { type: 'string', required: true, maxLength: 20 }, price: { type: 'integer', minimum: 0 }, image: { type: 'string', maxLength: 300 }, badge: { type: 'string', maxLength: 6 } } },
      example: [{ name: 'スマホ', price: 29800, badge: '人気' }, { name: 'イヤホン', price: 9800 }, { name: 'ケース', price: 1980 }],
    },
    before: { type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: 6, example: [12000, 11800, 12500, 13000, 12200, 11900] },
    after: { type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: 6, example: [9800, 9600, 10100, 10500, 9900, 9700] },
  },
  layers: [
    { id: 'hello', type: 'text', start: 0.5, end: 2, box: { x: 20, y: 20, width: 600, height: 70 }, text: '{{name}}様、こんにちは。', fit: 'wrap', style: { fontSize: 40, color: '#ffffff', background: { color: 'rgba(0,0,0,0.6)', radius: 10 } }, slide: { in: { from: 'left', duration: 0.3 } } },
    { id: 'badge', type: 'svg', start: 0.5, end: 2, box: { x: 440, y: 220, width: 180, height: 120 }, file: 'badge.svg' },
    { id: 'logo', type: 'image', start: 2, end: 4, box: { x: 20, y: 20, width: 100, height: 100 }, file: 'logo.png' },
    { id: 'recs', type: 'items', start: 2, end: 4, box: { x: 20, y: 130, width: 600, height: 220 }, field: 'items', maxItems: 3, imageFallback: 'fallback.png' },
    { id: 'bills', type: 'chart', kind: 'bar', start: 4, end: 6, box: { x: 20, y: 20, width: 600, height: 320 }, series: [{ field: 'before', label: '今まで', color: '#8899aa' }, { field: 'after', label: '新プラン', color: '#ffcc33' }], labels: ['1月', '2月', '3月', '4月', '5月', '6月'], valueFormat: 'yen' },
  ],
  ...over,
});

function makePackage(dir: string, m: object, extra: Record<string, Buffer | string> = {}) {
  mkdirSync(dir, { recursive: true });
  cpSync(VIDEO, path.join(dir, 'clip.mp4'));
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify(m, null, 2));
  writeFileSync(path.join(dir, 'badge.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="180" height="120"><rect width="180" height="120" rx="16" fill="#e63946"/><text x="90" y="72" font-size="32" text-anchor="middle" fill="#fff" font-family="Noto Sans JP">{{name}}様</text></svg>');
  writeFileSync(path.join(dir, 'logo.png'), solidPng(100, 100, '#2a9d8f'));
  writeFileSync(path.join(dir, 'fallback.png'), solidPng(200, 200, FALLBACK)); // a colour nothing else draws
  for (const [k, v] of Object.entries(extra)) writeFileSync(path.join(dir, k), v);
}

async function upload(zip: Buffer, qs = 'wait=true') {
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'pkg.zip');
  const res = await fetch(`${t.url}/v1/templates?${qs}`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

async function zipDir(dir: string, prefix = ''): Promise<Buffer> {
  return await zipFiles(await Promise.all((await packageFiles(dir)).map(async (name) => ({ name: prefix + name, data: readFileSync(path.join(dir, name)) }))));
}

async function waitDone(id: string): Promise<any> {
  for (const end = Date.now() + 90_000; Date.now() < end; ) {
    const r = (await t.api('GET', `/v1/renders/${id}`)).body;
    if (r.state === 'done' || r.state === 'failed') return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('render did not finish');
}

before(async () => {
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=25', '-f', 'lavfi', '-i', 'sine=f=330:r=48000', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', VIDEO]);
  // A product-image server: a good image, one that never answers, one far too large.
  images = createServer((req, res) => {
    if (req.url === '/ok.png') { res.setHeader('content-type', 'image/png'); return res.end(solidPng(300, 300, '#ff0000')); }
    if (req.url === '/huge.png') { res.setHeader('content-type', 'image/png'); return res.end(Buffer.alloc(3_000_000, 1)); }
    if (req.url === '/slow.png') return; // never answers
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', () => r()));
  imgBase = `http://127.0.0.1:${(images.address() as { port: number }).port}`;
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'none'), KASANE_STORAGE_DIR: path.join(root, 'storage'), KASANE_IMAGE_HOSTS: '127.0.0.1', KASANE_IMAGE_ALLOW_PRIVATE: '1', KASANE_IMAGE_TIMEOUT_MS: '500', KASANE_IMAGE_MAX_BYTES: '1000000' } });
});

after(async () => {
  images?.closeAllConnections();
  images?.close();
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

let v1 = '';

test('a package with every layer type uploads, prepares and becomes the active version', async () => {
  const dir = path.join(root, 'pkg1');
  makePackage(dir, manifest());
  const r = await upload(await zipDir(dir, 'shop-template/')); // one top folder is accepted
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.state, 'ready');
  v1 = r.body.version;
  const versions = (await t.api('GET', '/v1/templates/shop/versions')).body.versions;
  assert.equal(versions.length, 1);
  assert.equal(versions[0].active, true);
});

test('preview: a still per layer at its midpoint with the overlay drawn, and a contact sheet', async () => {
  const r = await t.api('POST', '/v1/templates/shop/preview', { example: true });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.stills.map((s: any) => s.layer), ['hello', 'badge', 'logo', 'recs', 'bills']);
  console.log(`# preview took ${r.body.ms} ms`);
  const base = await t.api('POST', '/v1/templates/shop/preview', { data: { name: 'A', items: [{ name: 'x' }] } });
  for (const [i, s] of r.body.stills.entries()) {
    const layer = manifest().layers[i] as any;
    const px = region(await decode(Buffer.from(s.png_base64, 'base64')), layer.box.x, layer.box.y, layer.box.width, layer.box.height);
    // The overlay put its own colours into the box (not just the test pattern).
    const colours = new Set<number>();
    for (let k = 0; k < px.length; k += 16) colours.add((px[k]! >> 4) * 256 + (px[k + 1]! >> 4) * 16 + (px[k + 2]! >> 4));
    if (s.layer === 'logo') {
      // A packaged image: the same for everyone.
      assert.equal(s.png_base64, base.body.stills[i].png_base64);
      continue;
    }
    assert.ok(colours.size > 3, `${s.layer} drew something`);
    assert.notEqual(s.png_base64, base.body.stills[i].png_base64, `${s.layer} depends on the data`);
  }
  // The logo is the packaged teal square.
  const [R, G, B] = region(await decode(Buffer.from(r.body.stills[2].png_base64, 'base64')), 70, 70, 1, 1);
  assert.ok(Math.abs(R! - 0x2a) < 10 && Math.abs(G! - 0x9d) < 10 && Math.abs(B! - 0x8f) < 10, `logo colour ${R},${G},${B}`);
  const sheet = await loadImage(Buffer.from(r.body.contact_sheet_png_base64, 'base64'));
  assert.ok(sheet.width >= 480 && sheet.height > 200);
  const worst = await t.api('POST', '/v1/templates/shop/preview', { worst: true });
  assert.equal(worst.status, 200);
});

test('a render with every layer type passes the stream checks; failing product images fall back', async () => {
  const data = {
    name: '佐藤',
    items: [
      { name: '良い画像', price: 1000, image: `${imgBase}/ok.png` },
      { name: '応答なし', price: 2000, image: `${imgBase}/slow.png` },
      { name: '巨大画像', price: 3000, image: `${imgBase}/huge.png` },
    ],
    before: [100, 200, 300], after: [50, 100, 150],
  };
  const r = await t.api('POST', '/v1/renders', { template: 'shop', data });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const done = await waitDone(r.body.id);
  assert.equal(done.state, 'done', done.error);
  const report = await checkStream(r.body.playlist_url);
  assert.deepEqual(report.failures, []);
  // What the viewer sees at 3 s (items shown 2-4 s): the good photo in red, and the packaged
  // fallback in place of the two photos that failed, each fitted to the same square.
  const box = (manifest().layers[3] as { box: { x: number; y: number; width: number; height: number } }).box;
  const rgb = await frameRgb(r.body.playlist_url, 3 * 25, box);
  const count = (want: [number, number, number]) => {
    let n = 0;
    for (let i = 0; i < rgb.length; i += 3) if (Math.abs(rgb[i]! - want[0]) < 40 && Math.abs(rgb[i + 1]! - want[1]) < 40 && Math.abs(rgb[i + 2]! - want[2]) < 40) n++;
    return n;
  };
  const red = count([255, 0, 0]);
  const fallback = count([0, 0xc8, 0xc8]);
  assert.ok(red > 1000, `the fetched photo is drawn (${red} red pixels)`);
  assert.ok(fallback > 1.6 * red && fallback < 2.4 * red, `the fallback is drawn for both failed photos (${fallback} fallback pixels, ${red} red)`);
});

test('validation reports every problem at once, with place, in English and Japanese', async () => {
  const dir = path.join(root, 'bad');
  const m = manifest() as any;
  m.layers[0].text = '{{name}}様 த'; // Tamil: not in Noto Sans JP
  m.layers[0].box = { x: 20, y: 20, width: 120, height: 40 }; // too small for the worst-case name
  m.layers[0].fit = 'shrink';
  m.layers[1].file = 'evil.svg';
  m.layers[2].end = 60; // after the 8 s video
  makePackage(dir, m, { 'evil.svg': '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>' });
  const r = await upload(await zipDir(dir));
  assert.equal(r.status, 422);
  const problems: Array<{ pointer: string; message: string; message_ja: string }> = r.body.error.problems;
  const at = (ptr: string) => problems.filter((p) => p.pointer === ptr);
  assert.ok(at('/layers/0/text').some((p) => p.message.includes('"த"') && p.message_ja.includes('த')), JSON.stringify(problems));
  assert.ok(at('/layers/0/text').some((p) => /does not fit/.test(p.message) && /収まりません/.test(p.message_ja)));
  assert.ok(at('/layers/1/file').length > 0, 'external href refused');
  assert.ok(at('/layers/2/end').length > 0);
  assert.ok(problems.every((p) => p.message && p.message_ja));
});

test('a zip with ../ entries is refused and writes nothing outside', async () => {
  const zip = makeZip([{ name: 'template.json', data: Buffer.from('{}') }, { name: '../../escape.txt', data: Buffer.from('x') }]);
  const r = await upload(zip);
  assert.equal(r.status, 422);
  assert.equal(r.body.error.code, 'invalid_package');
  assert.ok(r.body.error.problems.some((p: any) => p.pointer.includes('escape.txt')));
});

test('a new version never changes renders already made; rollback is one call', async () => {
  const data = { name: '田中', items: [{ name: 'テレビ', price: 59800 }] };
  const old = await t.api('POST', '/v1/renders', { template: 'shop', data });
  await waitDone(old.body.id);
  const seg1 = Buffer.from(await (await fetch(old.body.playlist_url.replace('index.m3u8', '1.ts'))).arrayBuffer());
  const dir = path.join(root, 'pkg2');
  const m = manifest() as any;
  m.layers[0].style.color = '#ff00ff';
  makePackage(dir, m);
  // Through the CLI this time.
  // Async: the API under test runs in this process, so a blocking spawn would deadlock it.
  const push = await promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'template', 'push', dir, '--url', t.url, '--key', API_KEY], { encoding: 'utf8' });
  const v2 = JSON.parse(push.stdout).version;
  assert.notEqual(v2, v1);
  assert.equal((await t.api('GET', '/v1/templates/shop')).body.version, v2);
  const again = Buffer.from(await (await fetch(old.body.playlist_url.replace('index.m3u8', '1.ts'))).arrayBuffer());
  assert.ok(again.equals(seg1), 'the old render plays exactly as before');
  assert.equal((await t.api('GET', `/v1/renders/${old.body.id}`)).body.version, v1);
  const fresh = await t.api('POST', '/v1/renders', { template: 'shop', data });
  assert.equal(fresh.body.version, v2);
  assert.notEqual(fresh.body.id, old.body.id);
  const rb = await t.api('POST', '/v1/templates/shop/rollback', {});
  assert.equal(rb.status, 200);
  assert.equal(rb.body.active_version, v1);
  // A well-formed version that does not exist is not found; a malformed one is refused where it is.
  assert.equal((await t.api('POST', '/v1/templates/shop/activate', { version: 'v0000000000000000' })).status, 404);
  const bad = await t.api('POST', '/v1/templates/shop/activate', { version: 'v0000' });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.error.problems.map((p: { pointer: string }) => p.pointer), ['/version']);
});
