// SVG, image, items and chart layers: real PNGs checked pixel by pixel, image
// fetching against a local server, and layer inputs as content keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createCanvas } from '@napi-rs/canvas';
import { decode, solidPng, type Pixels } from './support/pixels.ts';
import {
  drawLayer,
  embedSvgSources,
  fetchImage,
  hostAllowed,
  ImageFetchError,
  imageInfo,
  isPrivateAddress,
  layerInputs,
  validateSvg,
  type ChartLayer,
  type DrawContext,
  type ImageFetchPolicy,
  type ImageLayer,
  type ItemsLayer,
  type Layer,
  type SvgLayer,
} from '../src/overlays/index.ts';

// ---------------------------------------------------------------- fixtures

function px(p: Pixels, x: number, y: number): [number, number, number, number] {
  const i = (y * p.width + x) * 4;
  return [p.data[i]!, p.data[i + 1]!, p.data[i + 2]!, p.data[i + 3]!];
}

/** Opaque pixels within `tol` of an rgb color. */
function countColor(p: Pixels, rgb: [number, number, number], tol = 24): number {
  let n = 0;
  for (let i = 0; i < p.data.length; i += 4) {
    if (p.data[i + 3]! > 200 && Math.abs(p.data[i]! - rgb[0]) <= tol && Math.abs(p.data[i + 1]! - rgb[1]) <= tol && Math.abs(p.data[i + 2]! - rgb[2]) <= tol) n++;
  }
  return n;
}

function inkSum(p: Pixels): number {
  let s = 0;
  for (let i = 3; i < p.data.length; i += 4) s += p.data[i]!;
  return s;
}

/** Runs of consecutive pixels on row y matching pred: [start, end] inclusive. */
function runs(p: Pixels, y: number, pred: (c: [number, number, number, number]) => boolean): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  for (let x = 0; x <= p.width; x++) {
    const on = x < p.width && pred(px(p, x, y));
    if (on && start < 0) start = x;
    if (!on && start >= 0) {
      out.push([start, x - 1]);
      start = -1;
    }
  }
  return out;
}

const RED: [number, number, number] = [255, 0, 0];
const GREEN: [number, number, number] = [0, 200, 0];
const BLUE: [number, number, number] = [0, 0, 255];

let dir = '';
let server: http.Server;
let base = '';
const BLUE_PNG = solidPng(64, 64, '#0000ff');

const policy = (over: Partial<ImageFetchPolicy> = {}): ImageFetchPolicy => ({ allowHosts: ['127.0.0.1'], allowPrivate: true, maxBytes: 20_000, maxPixels: 1_000_000, timeoutMs: 300, ...over });

function context(over: Partial<ImageFetchPolicy> = {}): DrawContext {
  return { assets: { read: (rel) => readFile(path.join(dir, rel)) }, fetchPolicy: policy(over) };
}

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100" viewBox="0 0 400 100">
  <defs><linearGradient id="grad"><stop offset="0" stop-color="#102030"/><stop offset="1" stop-color="#102030"/></linearGradient></defs>
  <rect width="400" height="100" fill="url(#grad)"/>
  <text x="20" y="65" font-family="Noto Sans JP" font-size="40" fill="#ffffff">{{name}}様 {{yen price}}</text>
</svg>`;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kasane-layers-'));
  writeFileSync(path.join(dir, 'red.png'), solidPng(40, 20, '#ff0000'));
  writeFileSync(path.join(dir, 'fallback.png'), solidPng(20, 20, '#00c800'));
  writeFileSync(path.join(dir, 'card.svg'), SVG);
  writeFileSync(path.join(dir, 'raw.svg'), SVG.replace('{{name}}', '{{{name}}}'));

  server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/blue.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': BLUE_PNG.length });
      res.end(BLUE_PNG);
    } else if (url === '/redirect') {
      res.writeHead(302, { location: '/blue.png' });
      res.end();
    } else if (url === '/loop') {
      res.writeHead(302, { location: '/loop' });
      res.end();
    } else if (url === '/page') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not an image</html>');
    } else if (url === '/huge') {
      // Chunked, no content-length: the limit must hold while streaming.
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(BLUE_PNG.subarray(0, 33));
      const chunk = Buffer.alloc(8192, 7);
      let sent = 0;
      const pump = () => {
        while (sent < 400_000 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    } else if (url === '/bomb') {
      // A valid PNG signature and IHDR declaring 50000×50000 pixels.
      const head = Buffer.from(BLUE_PNG.subarray(0, 33));
      head.writeUInt32BE(50_000, 16);
      head.writeUInt32BE(50_000, 20);
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.concat([head, Buffer.alloc(1000)]));
    } else if (url === '/hang') {
      // Never answers.
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const common = { start: 0, end: 3 };

// ---------------------------------------------------------------- svg

const svgLayer = (file = 'card.svg'): SvgLayer => ({ id: 'svg1', type: 'svg', ...common, box: { x: 10, y: 20, width: 400, height: 100 }, file });

test('svg: placeholders are filled in and drawn at the box size', async () => {
  const out = await drawLayer(svgLayer(), { name: '山田', price: 12000 }, context());
  assert.deepEqual([out.width, out.height, out.x, out.y], [400, 100, 10, 20]);
  assert.deepEqual(out.warnings, []);
  const p = await decode(out.png);
  assert.deepEqual([p.width, p.height], [400, 100]);
  assert.deepEqual(px(p, 3, 3), [0x10, 0x20, 0x30, 255], 'background from the gradient (a url(#id) reference)');
  const white = countColor(p, [255, 255, 255], 10);
  assert.ok(white > 800, `text drawn, ${white} white pixels`);

  const inputs = layerInputs(svgLayer(), { name: '山田', price: 12000 }) as { file: string; data: unknown };
  assert.equal(inputs.file, 'card.svg', 'without the embedded source, the file and the data key the layer');
  const layer = svgLayer();
  await embedSvgSources([layer], context().assets);
  const filled = layerInputs(layer, { name: '山田', price: 12000 }) as { svg: string };
  assert.match(filled.svg, /山田様 ¥12,000/);
  assert.deepEqual((await decode((await drawLayer(layer, { name: '山田', price: 12000 }, context())).png)).data, p.data, 'embedded source draws the same');
});

test('svg: values are XML-escaped and drawn as text, not markup', async () => {
  const layer = svgLayer();
  await embedSvgSources([layer], context().assets);
  const hostile = '</text><script>alert(1)</script><tspan fill="red">"&';
  const { svg } = layerInputs(layer, { name: hostile, price: 1 }) as { svg: string };
  assert.ok(svg.includes('&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;tspan fill&#x3D;&quot;red&quot;&gt;&quot;&amp;'), svg);
  assert.ok(!svg.includes('<script') && !svg.includes('<tspan'));

  const out = await drawLayer(layer, { name: hostile, price: 1 }, context());
  assert.deepEqual(out.warnings, []);
  const plain = await decode((await drawLayer(layer, { name: '', price: 1 }, context())).png);
  const withText = await decode(out.png);
  assert.ok(countColor(withText, [255, 255, 255], 10) > countColor(plain, [255, 255, 255], 10) + 500, 'the markup-looking value shows up as characters');
  assert.equal(countColor(withText, RED, 40), 0, 'no injected red tspan');

  // Data that only looks dangerous inside <text> still draws; controls that would break XML are dropped.
  for (const name of ['url(https://evil/x) onload=x @import', '\u0000\u0007\ud800😀', 'あ'.repeat(50_000)]) {
    const r = await drawLayer(layer, { name, price: 'abc' }, context());
    assert.deepEqual(r.warnings, [], JSON.stringify(name.slice(0, 20)));
    assert.equal(r.width, 400);
  }
  // Wrong types and missing fields degrade to empty text.
  assert.equal((await drawLayer(layer, { name: { a: 1 } }, context())).width, 400);
});

test('svg: validateSvg refuses external references and scripts, accepts #ids and data images', async () => {
  const wrap = (s: string) => `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">${s}</svg>`;
  const refused = [
    '<image href="https://evil/x.png"/>',
    '<image xlink:href="file:///etc/passwd"/>',
    '<script>alert(1)</script>',
    '<foreignObject><div/></foreignObject>',
    '<style>@import "https://evil/x.css";</style>',
    '<rect fill="url(https://evil/p.svg#x)"/>',
    '<rect style="fill:url( \'http://evil/x\' )"/>',
    '<rect onload="alert(1)"/>',
    '<use href="other.svg#x"/>',
    '<image href="&#104;ttps://evil/x.png"/>',
    '<image href="data:image/svg+xml;base64,PHN2Zz4="/>',
    '<text>{{{name}}}</text>',
    '<text>{{& name}}</text>',
    '<use href="#a"><set attributeName="href" to="https://evil/x.svg"/></use>',
  ];
  for (const s of refused) assert.ok(validateSvg(wrap(s)).length > 0, `should refuse ${s}`);
  assert.ok(validateSvg('<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>').length > 0);
  const png = solidPng(2, 2, '#000').toString('base64');
  const accepted = [
    '<rect fill="url(#grad)"/><use href="#grad"/><use xlink:href="#a"/>',
    `<image href="data:image/png;base64,${png}" width="2" height="2"/>`,
    '<text>{{name}} {{yen price}}</text>',
  ];
  for (const s of accepted) assert.deepEqual(validateSvg(wrap(s)), [], s);
  assert.deepEqual(validateSvg(SVG), []);

  const problem = validateSvg(wrap('<image href="https://evil/x.png"/>'))[0]!;
  assert.match(problem.message, /external reference href="https:\/\/evil\/x.png"/);
  // A template that would insert data unescaped is a template error, not a data problem.
  await assert.rejects(drawLayer(svgLayer('raw.svg'), { name: 'x' }, context()), /refused/);
});

// ---------------------------------------------------------------- image

const imageLayer = (over: Partial<ImageLayer> = {}): ImageLayer => ({ id: 'img1', type: 'image', ...common, box: { x: 0, y: 0, width: 200, height: 200 }, ...over });

test('image: a packaged PNG drawn with contain, and with cover and rounded corners', async () => {
  const out = await drawLayer(imageLayer({ file: 'red.png' }), {}, context());
  const p = await decode(out.png);
  assert.deepEqual([p.width, p.height], [200, 200]);
  // 40×20 into 200×200: full width, 100 px tall, centred.
  assert.deepEqual(px(p, 100, 100), [255, 0, 0, 255]);
  assert.deepEqual(px(p, 0, 100), [255, 0, 0, 255]);
  assert.deepEqual(px(p, 199, 100), [255, 0, 0, 255]);
  assert.equal(px(p, 100, 40)[3], 0);
  assert.equal(px(p, 100, 160)[3], 0);
  assert.deepEqual(layerInputs(imageLayer({ file: 'red.png' }), {}), { file: 'red.png' });

  const cover = await decode((await drawLayer(imageLayer({ file: 'red.png', fit: 'cover', radius: 40 }), {}, context())).png);
  assert.deepEqual(px(cover, 100, 10), [255, 0, 0, 255], 'cover fills the box');
  assert.equal(px(cover, 1, 1)[3], 0, 'rounded corner');
});

test('image: URLs are fetched under the policy; every failure falls back with a reason and no URL', async () => {
  const layer = imageLayer({ url: '{{photo}}', fallback: 'fallback.png' });
  const ok = await drawLayer(layer, { photo: `${base}/blue.png` }, context());
  assert.deepEqual(ok.warnings, []);
  assert.ok(countColor(await decode(ok.png), BLUE) > 30000);
  assert.deepEqual(layerInputs(layer, { photo: `${base}/blue.png` }), { url: `${base}/blue.png` });

  const redirected = await drawLayer(layer, { photo: `${base}/redirect` }, context());
  assert.deepEqual(redirected.warnings, [], 'a redirect to an allowed URL is followed');

  const cases: Array<[string, Partial<ImageFetchPolicy>, RegExp]> = [
    [`${base}/blue.png`, { allowPrivate: false }, /private_address/],
    [`${base}/blue.png`, { allowHosts: ['cdn.example.jp', '*.example.jp'] }, /not_allowed_host/],
    [`${base}/hang`, {}, /timeout/],
    [`${base}/huge`, {}, /too_large/],
    [`${base}/bomb`, {}, /too_many_pixels/],
    [`${base}/page`, {}, /not_an_image/],
    [`${base}/missing.png`, {}, /http_status/],
    [`${base}/loop`, {}, /too_many_redirects/],
    ['file:///etc/passwd', {}, /bad_url/],
    ['not a url', {}, /no_url/],
    ['', {}, /no_url/],
  ];
  for (const [photo, over, reason] of cases) {
    const t0 = performance.now();
    const out = await drawLayer(layer, { photo }, context(over));
    const ms = performance.now() - t0;
    assert.equal(out.warnings.length, 1, `${photo}: ${out.warnings.join(', ')}`);
    assert.match(out.warnings[0]!, reason);
    assert.ok(!out.warnings[0]!.includes('127.0.0.1') && !out.warnings[0]!.includes('/'), 'no URL in warnings');
    assert.ok(countColor(await decode(out.png), GREEN) > 30000, `${photo}: fallback drawn`);
    assert.ok(ms < 1500, `${photo} took ${ms} ms`);
  }

  // No fallback: nothing drawn, still no throw; missing field and wrong type too.
  const bare = imageLayer({ url: '{{photo}}' });
  for (const data of [{ photo: `${base}/page` }, {}, { photo: 42 }, { photo: { x: 1 } }]) {
    const out = await drawLayer(bare, data, context());
    assert.equal(inkSum(await decode(out.png)), 0);
    assert.equal(out.warnings.length, 1);
  }
});

test('fetchImage: own DNS resolution, address ranges, host patterns, image headers', async () => {
  // 'localhost' is allowed by name but resolves to loopback: refused by address.
  await assert.rejects(fetchImage(`${base.replace('127.0.0.1', 'localhost')}/blue.png`, policy({ allowHosts: ['localhost'], allowPrivate: false })), (e: unknown) => e instanceof ImageFetchError && e.reason === 'private_address');
  await assert.rejects(fetchImage('https://localhost/x.png', policy({ allowHosts: ['localhost'], allowPrivate: false })), (e: unknown) => e instanceof ImageFetchError && e.reason === 'private_address');
  await assert.rejects(fetchImage('https://[::ffff:127.0.0.1]/x.png', policy({ allowHosts: ['::ffff:7f00:1'], allowPrivate: false })), (e: unknown) => e instanceof ImageFetchError && e.reason === 'private_address');
  assert.deepEqual(await fetchImage(`${base}/blue.png`, policy()), BLUE_PNG);
  // The socket connects to the address that was checked, never resolving the name again
  // (no DNS rebinding): a name that only our stubbed resolver knows still connects.
  const realLookup = dns.promises.lookup;
  let asked = 0;
  (dns.promises as { lookup: unknown }).lookup = async () => {
    asked++;
    return [{ address: '127.0.0.1', family: 4 }];
  };
  try {
    assert.deepEqual(await fetchImage(`${base.replace('127.0.0.1', 'img.kasane.invalid')}/blue.png`, policy({ allowHosts: ['*.kasane.invalid'] })), BLUE_PNG);
    assert.equal(asked, 1);
  } finally {
    (dns.promises as { lookup: unknown }).lookup = realLookup;
  }
  // By name: our resolution feeds the connection (IPv4 first, as the server only listens there).
  assert.deepEqual(await fetchImage(`${base.replace('127.0.0.1', 'localhost')}/blue.png`, policy({ allowHosts: ['localhost'] })), BLUE_PNG);

  for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1', '2002:c0a8:101::1', 'garbage']) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
  for (const ip of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '2606:4700::1111']) assert.equal(isPrivateAddress(ip), false, ip);

  assert.equal(hostAllowed('cdn.example.jp', ['cdn.example.jp']), true);
  assert.equal(hostAllowed('img.cdn.example.jp', ['*.example.jp']), true);
  assert.equal(hostAllowed('example.jp', ['*.example.jp']), false);
  assert.equal(hostAllowed('evilexample.jp', ['*.example.jp']), false);
  assert.equal(hostAllowed('cdn.example.jp.evil.com', ['cdn.example.jp']), false);
  assert.equal(hostAllowed('anything', []), false);

  const jpeg = await createCanvas(30, 12).encode('jpeg');
  const webp = await createCanvas(30, 12).encode('webp');
  const gif = Buffer.from('R0lGODlhAQABAIAAAP8AAP///yH5BAAAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
  assert.deepEqual(imageInfo(BLUE_PNG), { format: 'png', width: 64, height: 64 });
  assert.deepEqual(imageInfo(jpeg), { format: 'jpeg', width: 30, height: 12 });
  assert.deepEqual(imageInfo(webp), { format: 'webp', width: 30, height: 12 });
  assert.deepEqual(imageInfo(gif), { format: 'gif', width: 1, height: 1 });
  assert.equal(imageInfo(Buffer.from('<html>')), undefined);
});

// ---------------------------------------------------------------- items

const itemsLayer = (over: Partial<ItemsLayer> = {}): ItemsLayer => ({
  id: 'items1',
  type: 'items',
  ...common,
  box: { x: 0, y: 0, width: 960, height: 400 },
  field: 'recs',
  card: { background: '#ffffff' },
  ...over,
});

const isCard = (c: [number, number, number, number]) => c[3] === 255 && c[0] === 255 && c[1] === 255 && c[2] === 255;

test('items: 3 cards in a row, 1 centred, 5 cut to maxItems 3', async () => {
  const recs = [
    { name: '省エネ冷蔵庫 大容量タイプ', price: 128000, badge: 'おすすめ' },
    { name: 'LED照明', price: 12800 },
    { name: 'スマートエアコン 6畳用 最新モデル 2026年版 省エネ', price: '59800' },
    { name: '4番目', price: 1 },
    { name: '5番目', price: 2 },
  ];
  const three = await drawLayer(itemsLayer(), { recs: recs.slice(0, 3) }, context());
  assert.deepEqual(three.warnings, []);
  const p3 = await decode(three.png);
  assert.deepEqual([p3.width, p3.height], [960, 400]);
  const r3 = runs(p3, 10, isCard);
  assert.equal(r3.length, 3, JSON.stringify(r3));
  const widths = r3.map(([a, b]) => b - a);
  assert.ok(Math.max(...widths) - Math.min(...widths) <= 1, 'equal cards');
  assert.ok(countColor(p3, [0xd7, 0, 0x0f], 30) > 200, 'prices in red');
  assert.ok(countColor(p3, [0xe6, 0, 0x33], 10) > 200, 'badge pill');

  const one = await decode((await drawLayer(itemsLayer(), { recs: recs.slice(0, 1) }, context())).png);
  const r1 = runs(one, 10, isCard);
  assert.equal(r1.length, 1);
  assert.ok(Math.abs((r1[0]![0] + r1[0]![1]) / 2 - 479.5) <= 3, `centred: ${JSON.stringify(r1)}`);
  assert.ok(r1[0]![1] - r1[0]![0] < 400, 'a single card keeps the card size, not the whole box');

  const five = await drawLayer(itemsLayer({ maxItems: 3 }), { recs }, context());
  assert.equal(runs(await decode(five.png), 10, isCard).length, 3);
  assert.equal((layerInputs(itemsLayer(), { recs }) as { items: unknown[] }).items.length, 3);

  // A grid: 4 of maxItems 4 in 2 columns → two rows of two.
  const grid = await decode((await drawLayer(itemsLayer({ maxItems: 4, columns: 2 }), { recs }, context())).png);
  assert.equal(runs(grid, 10, isCard).length, 2);
  assert.equal(runs(grid, 399 - 10, isCard).length, 2);
});

test('items: photos fetched concurrently; a 404 uses imageFallback; bad data degrades', async () => {
  const layer = itemsLayer({ imageFallback: 'fallback.png' });
  const recs = [
    { name: 'A', price: 100, image: `${base}/blue.png` },
    { name: 'B', price: 200, image: `${base}/missing.png` },
    { name: 'C', price: 300, image: `${base}/hang` },
  ];
  const t0 = performance.now();
  const out = await drawLayer(layer, { recs }, context());
  assert.ok(performance.now() - t0 < 1200, 'the hanging photo costs one timeout, not a sequence of them');
  assert.deepEqual(out.warnings, ['image for item 2 fell back: http_status', 'image for item 3 fell back: timeout']);
  const p = await decode(out.png);
  assert.ok(countColor(p, BLUE) > 2000, 'fetched photo drawn');
  assert.ok(countColor(p, GREEN) > 4000, 'fallback drawn for the failures');

  // Hostile and malformed data: never throws, says what was skipped (by index only).
  const weird = [null, 'x', 42, { name: '😀'.repeat(5000) + '<b>', price: 'abc', image: 'javascript:alert(1)', badge: { x: 1 } }, {}, { name: 123 }];
  const r = await drawLayer(layer, { recs: weird }, context());
  assert.equal(r.width, 960);
  assert.deepEqual(r.warnings, ['item 1 skipped: not an object', 'item 2 skipped: not an object', 'item 3 skipped: not an object', 'item 4 price skipped: not a number', 'item 4 image skipped: not a URL', 'item 5 skipped: empty']);
  assert.equal(runs(await decode(r.png), 10, isCard).length, 2);
  for (const data of [{}, { recs: 'nope' }, { recs: [] }, { recs: [null] }]) {
    const e = await drawLayer(layer, data, context());
    assert.equal(inkSum(await decode(e.png)), 0, JSON.stringify(data));
    assert.ok(e.warnings.length > 0);
  }
});

// ---------------------------------------------------------------- chart

const chartLayer = (over: Partial<ChartLayer> = {}): ChartLayer => ({
  id: 'chart1',
  type: 'chart',
  ...common,
  box: { x: 0, y: 0, width: 600, height: 300 },
  kind: 'bar',
  series: [{ field: 'bills', label: '電気代', color: '#ff0000' }],
  labels: ['1月', '2月', '3月'],
  valueFormat: 'yen',
  ...over,
});

/** Red pixel count per column, grouped into bars: [height of each bar]. */
function barHeights(p: Pixels, rgb: [number, number, number], fromY = 0): number[] {
  const heights: number[] = [];
  let current = 0;
  for (let x = 0; x < p.width; x++) {
    let col = 0;
    for (let y = fromY; y < p.height; y++) {
      const [r, g, b, a] = px(p, x, y);
      if (a > 200 && Math.abs(r - rgb[0]) < 30 && Math.abs(g - rgb[1]) < 30 && Math.abs(b - rgb[2]) < 30) col++;
    }
    if (col > 0) current = Math.max(current, col);
    else if (current > 0) {
      heights.push(current);
      current = 0;
    }
  }
  if (current > 0) heights.push(current);
  return heights;
}

test('chart: bar heights follow the values; two-series line draws both colours; empty draws nothing', async () => {
  const bar = await drawLayer(chartLayer({ title: '{{name}}様の電気代' }), { bills: [12000, 9000, 15000], name: '山田' }, context());
  assert.deepEqual(bar.warnings, []);
  const p = await decode(bar.png);
  const h = barHeights(p, RED);
  assert.equal(h.length, 3, JSON.stringify(h));
  assert.ok(h[2]! > h[0]! && h[0]! > h[1]!, `3rd bar tallest, 2nd shortest: ${h}`);
  assert.ok(Math.abs(h[2]! / h[0]! - 15000 / 12000) < 0.05, `heights proportional: ${h}`);
  assert.deepEqual(layerInputs(chartLayer({ title: '{{name}}様の電気代' }), { bills: [12000, 9000, 15000], name: '山田' }), {
    title: '山田様の電気代',
    labels: ['1月', '2月', '3月'],
    series: [{ label: '電気代', color: '#ff0000', values: [12000, 9000, 15000] }],
  });

  const line = chartLayer({ kind: 'line', series: [{ field: 'before', label: '今', color: '#ff0000' }, { field: 'after', label: '切替後', color: '#0000ff' }], style: { legend: false } });
  const lp = await decode((await drawLayer(line, { before: [12000, 11000, 13000], after: [9000, 8500, 9500] }, context())).png);
  assert.ok(countColor(lp, RED, 40) > 300, 'first series line');
  assert.ok(countColor(lp, BLUE, 40) > 300, 'second series line');

  const empty = await drawLayer(chartLayer({ title: 'タイトル', style: { background: '#000000' } }), { bills: [] }, context());
  assert.equal(inkSum(await decode(empty.png)), 0);
  assert.ok(empty.warnings.some((w) => /no values/.test(w)));
  for (const data of [{}, { bills: 'x' }, { bills: [null, 'abc', {}] }]) {
    assert.equal(inkSum(await decode((await drawLayer(chartLayer(), data, context())).png)), 0, JSON.stringify(data));
  }
});

test('chart: skipped values, zeros, negatives, grouped bars and a legend draw without throwing', async () => {
  const mixed = await drawLayer(chartLayer(), { bills: [12000, 'abc', '9000', null] }, context());
  assert.deepEqual(mixed.warnings, ['chart series 1: 2 value(s) skipped: not a number']);
  assert.equal(barHeights(await decode(mixed.png), RED).length, 2);

  const zeros = await drawLayer(chartLayer(), { bills: [0, 0, 0] }, context());
  assert.deepEqual(zeros.warnings, []);
  assert.ok(inkSum(await decode(zeros.png)) > 0, 'baseline and ¥0 labels');

  const neg = await decode((await drawLayer(chartLayer({ valueFormat: 'number' }), { bills: [5000, -3000, 2000] }, context())).png);
  const nh = barHeights(neg, RED);
  assert.equal(nh.length, 3);
  assert.ok(nh[0]! > nh[1]! && nh[1]! > nh[2]!, `|5000| > |-3000| > |2000|: ${nh}`);

  const grouped = chartLayer({
    series: [{ field: 'a', label: '今', color: '#ff0000' }, { field: 'b', label: '切替後', color: '#0000ff' }],
    labelsField: 'months',
    labels: undefined,
    style: { background: 'rgba(0,0,0,0.6)', radius: 16 },
  });
  const data = { a: [1_200_000, 980_000, 1_500_000], b: [900_000, 800_000, 1_000_000], months: ['4月', '5月', '6月'] };
  const gp = await decode((await drawLayer(grouped, data, context())).png);
  assert.ok(countColor({ ...gp, height: 60, data: gp.data.subarray(0, 600 * 60 * 4) }, BLUE) > 50, 'legend swatch at the top');
  assert.equal(barHeights(gp, BLUE, 80).length, 3, 'three blue bars below the legend');
  assert.equal(barHeights(gp, RED, 80).length, 3);
  assert.deepEqual((layerInputs(grouped, data) as { labels: string[] }).labels, ['4月', '5月', '6月']);
});

// ---------------------------------------------------------------- inputs

test('layerInputs: equal for equal data, different when what is drawn differs, equal inputs draw equal pixels', async () => {
  const svg = svgLayer();
  await embedSvgSources([svg], context().assets);
  const layers: Layer[] = [svg, imageLayer({ url: '{{photo}}', fallback: 'fallback.png' }), itemsLayer(), chartLayer()];
  const make = () => ({ name: '山田', price: 100, photo: `${base}/blue.png`, recs: [{ name: 'A', price: 1 }, { name: 'B' }], bills: [1, 2, 3] });
  for (const l of layers) {
    const a = layerInputs(l, make());
    assert.deepEqual(a, layerInputs(l, make()), l.type);
    assert.deepEqual(JSON.parse(JSON.stringify(a)), a, `${l.type}: plain JSON`);
  }
  const items = itemsLayer();
  assert.notDeepEqual(layerInputs(items, make()), layerInputs(items, { ...make(), recs: [{ name: 'A', price: 1 }, { name: 'C' }] }));
  assert.notDeepEqual(layerInputs(items, make()), layerInputs(items, { ...make(), recs: [{ name: 'A', price: 2 }, { name: 'B' }] }));

  // Different records, same inputs (extra fields, items past maxItems, numeric strings): same PNG.
  const d1 = { recs: [{ name: 'A', price: 1 }, { name: 'B' }, { name: 'C' }, { name: 'D' }], other: 1 };
  const d2 = { recs: [{ name: 'A', price: '1', extra: true }, { name: 'B' }, { name: 'C' }, { name: 'E' }], other: 2 };
  assert.deepEqual(layerInputs(items, d1), layerInputs(items, d2));
  assert.deepEqual((await drawLayer(items, d1, context())).png, (await drawLayer(items, d2, context())).png);
  const c1 = { bills: [1000, '2000'], name: 'x' };
  const c2 = { bills: ['1000', 2000, null], name: 'y' };
  assert.deepEqual(layerInputs(chartLayer(), c1), layerInputs(chartLayer(), c2));
  assert.deepEqual((await drawLayer(chartLayer(), c1, context())).png, (await drawLayer(chartLayer(), c2, context())).png);
});
