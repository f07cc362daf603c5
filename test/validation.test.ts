// Template and data validation (issue 8): broken Handlebars refused at upload
// and harmless at render time, field patterns that could stall the API,
// bidi controls that reorder drawn text, characters the fonts lack in real
// data, and field names that JavaScript objects already have.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestService, API_KEY, type TestService } from './helpers/service.ts';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';
import { packageFiles } from '../src/templates/prepare.ts';
import { validateManifest } from '../src/templates/manifest.ts';
import { validateData } from '../src/templates/fields.ts';
import { drawTextLayer, layerInputs, renderSvgText, type Layer, type TextLayer } from '../src/overlays/index.ts';
import { familyCoverage, fieldCoverage, glyphProblems } from '../src/templates/glyphs.ts';
import type { Manifest } from '../src/templates/manifest.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-validation-'));
const VIDEO = path.join(root, 'clip.mp4');
let t: TestService;

const box = { x: 10, y: 10, width: 300, height: 60 };
const manifest = (over: Record<string, unknown> = {}) => ({
  id: 'val',
  name: 'validation',
  video: { file: 'clip.mp4' },
  encoder: { preset: 'ultrafast' },
  fields: {
    name: { type: 'string', required: true, maxLength: 10, example: '山田', worst: '髙﨑ジェニファー' },
    photo: { type: 'string', maxLength: 300, example: 'https://img.example/a.png' },
    bills: { type: 'array', items: { type: 'integer' }, maxItems: 3, example: [1, 2, 3] },
  },
  layers: [{ id: 'hello', type: 'text', start: 0, end: 1.5, box, text: '{{name}}様', style: { fontSize: 32, color: '#ffffff' } }],
  ...over,
});

const SVG = (body: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40"><text x="0" y="30" font-size="20">${body}</text></svg>`;

function makePackage(dir: string, m: object, extra: Record<string, string> = {}) {
  mkdirSync(dir, { recursive: true });
  cpSync(VIDEO, path.join(dir, 'clip.mp4'));
  writeFileSync(path.join(dir, 'template.json'), typeof m === 'string' ? m : JSON.stringify(m));
  for (const [k, v] of Object.entries(extra)) writeFileSync(path.join(dir, k), v);
}

async function upload(dir: string) {
  const zip = await zipFiles(await Promise.all((await packageFiles(dir)).map(async (name) => ({ name, data: readFileSync(path.join(dir, name)) }))));
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'pkg.zip');
  const res = await fetch(`${t.url}/v1/templates?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

const pointers = (ps: Array<{ pointer: string }>) => ps.map((p) => p.pointer);
const layer = (l: Record<string, unknown>) => ({ start: 0, end: 1, box, ...l });

before(async () => {
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25', '-f', 'lavfi', '-i', 'sine=f=330:r=48000', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', VIDEO]);
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'none'), KASANE_STORAGE_DIR: path.join(root, 'storage') } });
});

after(async () => {
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

// --- 3. Handlebars ----------------------------------------------------------

test('broken Handlebars in any template string is refused with its pointer, in English and Japanese', () => {
  const m = manifest({
    layers: [
      layer({ id: 'a', type: 'image', url: '{{nosuchhelper photo}}' }),
      layer({ id: 'b', type: 'image', url: '{{#if}}x{{/if}}' }),
      layer({ id: 'c', type: 'image', url: '{{photo' }),
      layer({ id: 'd', type: 'chart', kind: 'bar', series: [{ field: 'bills', color: '#fff' }], title: '{{nosuch name}}' }),
      layer({ id: 'e', type: 'text', text: '{{> p}}', style: { fontSize: 20, color: '#fff' } }),
      layer({ id: 'f', type: 'image', url: '{{nofield}}' }),
    ],
  });
  const ps = validateManifest(m);
  assert.deepEqual(pointers(ps), ['/layers/0/url', '/layers/1/url', '/layers/2/url', '/layers/3/title', '/layers/4/text', '/layers/5/url']);
  assert.match(ps[0]!.message, /unknown helper "nosuchhelper"/);
  assert.match(ps[5]!.message, /unknown field "nofield"/);
  assert.ok(ps.every((p) => p.message && /[ぁ-んァ-ン一-龯]/.test(p.message_ja)), JSON.stringify(ps));
});

test('a version stored with broken Handlebars draws nothing for it instead of failing every render', async () => {
  const data = { name: '山田', photo: 'https://img.example/a.png', bills: [1, 2] };
  assert.deepEqual(layerInputs(layer({ id: 'i', type: 'image', url: '{{photo' }) as Layer, data), { url: '' });
  assert.deepEqual(layerInputs(layer({ id: 'i', type: 'image', url: '{{nosuchhelper photo}}' }) as Layer, data), { url: '' });
  assert.equal(layerInputs(layer({ id: 't', type: 'text', text: '{{#if}}x{{/if}}', style: { fontSize: 20, color: '#fff' } }) as Layer, data), '');
  const chart = layerInputs(layer({ id: 'c', type: 'chart', kind: 'bar', series: [{ field: 'bills', color: '#fff' }], title: '{{nosuch name}}' }) as Layer, data) as { title: string };
  assert.equal(chart.title, '');
  assert.equal(renderSvgText(SVG('{{nosuch name}}'), data), '');
  assert.equal(renderSvgText(SVG('{{> p}}'), data), '');
});

// --- 4. Field patterns -------------------------------------------------------

test('a field pattern that can backtrack catastrophically is refused at upload', () => {
  const m = manifest() as any;
  m.fields.code = { type: 'string', maxLength: 40, pattern: '^(a+)+$' };
  m.fields.tags = { type: 'array', items: { type: 'string', maxLength: 9, pattern: '^(x|xy)*$' } };
  m.fields.zip = { type: 'string', maxLength: 8, pattern: '^[0-9]{3}-[0-9]{4}$' };
  m.fields.twice = { type: 'string', maxLength: 8, pattern: '^(a)\\1$' };
  const ps = validateManifest(m);
  assert.deepEqual(pointers(ps), ['/fields/code/pattern', '/fields/tags/items/pattern', '/fields/twice/pattern']);
  assert.match(ps[0]!.message, /exponential time/);
  assert.ok(ps[0]!.message_ja.includes('正規表現'));
});

test('data is length-checked before any pattern runs, and an unsafe stored pattern is never run', () => {
  const fields = { code: { type: 'string' as const, maxLength: 40, pattern: '^(a+)+$' }, zip: { type: 'string' as const, maxLength: 8, pattern: '^[0-9]{3}-[0-9]{4}$' } };
  const t0 = performance.now();
  const r = validateData(fields, { code: 'a'.repeat(30) + '!', zip: '1'.repeat(5_000_000) });
  const ms = performance.now() - t0;
  assert.ok(ms < 300, `validation took ${ms.toFixed(0)} ms`);
  assert.deepEqual(pointers(r.problems), ['/data/code', '/data/zip']);
  assert.ok(r.problems.every((p) => !p.message.includes('aaaa') && !p.message.includes('1111')));
  assert.deepEqual(validateData(fields, { zip: '123-4567' }), { value: { zip: '123-4567' }, problems: [] });
});

// --- 6. Bidi controls --------------------------------------------------------

test('bidi and other format controls are stripped: the data and the drawn pixels equal those without them', () => {
  const fields = { name: { type: 'string' as const, maxLength: 10 } };
  for (const c of ['\u202E', '\u202A', '\u2066', '\u2069', '\u200E', '\u200F', '\u061C', '\uFEFF']) {
    const r = validateData(fields, { name: `${c}¥12,000${c}` });
    assert.deepEqual(r, { value: { name: '¥12,000' }, problems: [] }, `U+${c.codePointAt(0)!.toString(16)}`);
  }
  const l: TextLayer = { id: 'p', type: 'text', start: 0, end: 1, box: { x: 0, y: 0, width: 320, height: 60 }, text: '', style: { fontSize: 32, color: '#ffffff' } };
  const plain = drawTextLayer(l, '山田 ¥12,000').png;
  assert.ok(drawTextLayer(l, '\u202E山田 ¥12,000').png.equals(plain), 'U+202E must not reverse the line');
  assert.ok(drawTextLayer(l, '山田 \u2067¥12,000\u2069').png.equals(plain), 'an isolate must not reorder the price');
});

// --- 8. Field names ----------------------------------------------------------

test('field names JavaScript objects already have are refused; data never reaches a prototype', () => {
  const m = JSON.parse(JSON.stringify(manifest()).replace('"fields":{', '"fields":{"__proto__":{"type":"string","maxLength":5},"constructor":{"type":"string","maxLength":5},"toString":{"type":"integer"},'));
  m.fields.items = { type: 'array', items: { type: 'object', properties: { valueOf: { type: 'integer' }, ok: { type: 'integer' } } } };
  const ps = validateManifest(m);
  assert.deepEqual(pointers(ps), ['/fields/__proto__', '/fields/constructor', '/fields/toString', '/fields/items/items/properties/valueOf']);
  assert.ok(ps.every((p) => p.message_ja.includes('項目名')));

  // Defence in depth for versions stored before: absent means absent, and "__proto__" stays data.
  const fields = JSON.parse('{"toString":{"type":"string","maxLength":5},"__proto__":{"type":"string","maxLength":5}}');
  assert.deepEqual(validateData(fields, {}).problems, []);
  const r = validateData(fields, JSON.parse('{"__proto__":"x","toString":"y"}'));
  assert.deepEqual(r.problems, []);
  assert.equal(Object.getPrototypeOf(r.value), Object.prototype);
  assert.deepEqual(Object.keys(r.value).sort(), ['__proto__', 'toString']);
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

// --- 7. Glyph coverage of real data -------------------------------------------

test('glyph check per field: the fonts of every place it is drawn, packaged family plus Noto; card images are not drawn', () => {
  const m = manifest({
    fields: {
      name: { type: 'string', maxLength: 10 },
      nick: { type: 'string', maxLength: 10 },
      unused: { type: 'string', maxLength: 10 },
      items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string', maxLength: 9 }, image: { type: 'string', maxLength: 99 } } } },
    },
    layers: [
      layer({ id: 'a', type: 'text', text: '{{name}}', style: { fontSize: 20, color: '#fff', fontFamily: 'Tamil' } }),
      layer({ id: 'b', type: 'text', text: '{{#if nick}}{{nick}}{{/if}}', style: { fontSize: 20, color: '#fff' } }),
      layer({ id: 'c', type: 'items', field: 'items' }),
    ],
  }) as unknown as Manifest;
  const fields = fieldCoverage(m, familyCoverage([{ family: 'Tamil', codepoints: [0x0ba4] }]));
  const data = { name: 'த山田', nick: 'த', unused: 'த', items: [{ name: 'ok', image: 'https://x/த' }, { name: 'aதbதc' }] };
  const ps = glyphProblems(fields, data);
  assert.deepEqual(ps.map((p) => [p.pointer, p.message]), [
    ['/data/nick', "contains characters the template's fonts cannot draw: U+0BA4"],
    ['/data/items/1/name', "contains characters the template's fonts cannot draw: U+0BA4"],
  ]);
  assert.ok(ps.every((p) => p.message_ja.includes('U+0BA4')));
});

// --- Over real HTTP: uploads, and renders accepted or refused ----------------

test('upload: broken Handlebars (image, chart, SVG), unsafe patterns and prototype names answer 422 with pointers, never 500', async () => {
  const m = manifest() as any;
  m.fields.code = { type: 'string', maxLength: 20, pattern: '^(a+)+$' };
  m.fields.constructor = { type: 'string', maxLength: 5 };
  m.layers.push(
    layer({ id: 'img', type: 'image', url: '{{nosuchhelper photo}}' }),
    layer({ id: 'chart', type: 'chart', kind: 'bar', series: [{ field: 'bills', color: '#ffffff' }], title: '{{nosuch name}}' }),
  );
  const dir = path.join(root, 'bad1');
  makePackage(dir, m);
  const r = await upload(dir);
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.deepEqual(pointers(r.body.error.problems).sort(), ['/fields/code/pattern', '/fields/constructor', '/layers/1/url', '/layers/2/title']);
  assert.ok(r.body.error.problems.every((p: any) => p.message && p.message_ja));

  for (const [i, body] of ['{{nosuch name}}', '{{> p}}'].entries()) {
    const d = path.join(root, `badsvg${i}`);
    const ms = manifest() as any;
    ms.layers.push(layer({ id: 'svg', type: 'svg', file: 'b.svg' }));
    makePackage(d, ms, { 'b.svg': SVG(body) });
    const s = await upload(d);
    assert.equal(s.status, 422, JSON.stringify(s.body));
    assert.deepEqual(pointers(s.body.error.problems), ['/layers/1/file']);
  }
});

test('accept: characters the fonts lack are refused with 422 at the field, named by code point only; bidi controls change nothing', async () => {
  const dir = path.join(root, 'good');
  makePackage(dir, manifest());
  const up = await upload(dir);
  assert.equal(up.status, 201, JSON.stringify(up.body));

  const bad = await t.api('POST', '/v1/renders', { template: 'val', mode: 'lazy', data: { name: '山田த' } });
  assert.equal(bad.status, 422, JSON.stringify(bad.body));
  assert.deepEqual(bad.body.error.problems.map((p: any) => p.pointer), ['/data/name']);
  const msg = JSON.stringify(bad.body);
  assert.match(msg, /U\+0BA4/);
  assert.ok(!msg.includes('山田') && !msg.includes('த'), 'only the code point is named, never the value');

  const ok = await t.api('POST', '/v1/renders', { template: 'val', mode: 'lazy', data: { name: '山田' } });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  // U+202E is stripped on accept: the same person, the same render (and the same pixels).
  const rtl = await t.api('POST', '/v1/renders', { template: 'val', mode: 'lazy', data: { name: '\u202E山田' } });
  assert.equal(rtl.status, 200, JSON.stringify(rtl.body));
  assert.equal(rtl.body.id, ok.body.id);
});
