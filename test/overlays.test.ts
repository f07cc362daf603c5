// Overlay drawing: real fonts, real PNGs, checked pixel by pixel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Handlebars from 'handlebars';
import { GlobalFonts } from '@napi-rs/canvas';
import { decode, type Pixels } from './support/pixels.ts';
import {
  compileText,
  drawTextLayer,
  ensureFonts,
  measureFit,
  resolveLayerText,
  TemplateSyntaxError,
  type TextLayer,
} from '../src/overlays/index.ts';

function layer(over: Partial<Omit<TextLayer, 'style'>> & { style?: Partial<TextLayer['style']> } = {}): TextLayer {
  return {
    id: 'l1',
    type: 'text',
    start: 0,
    end: 3,
    box: { x: 40, y: 600, width: 800, height: 160 },
    text: '',
    ...over,
    style: { fontSize: 48, color: '#ff3366', ...over.style },
  };
}

const alpha = (p: Pixels, x: number, y: number) => p.data[(y * p.width + x) * 4 + 3]!;

function inkSum(p: Pixels): number {
  let s = 0;
  for (let i = 3; i < p.data.length; i += 4) s += p.data[i]!;
  return s;
}

/** Bounding box of pixels with any alpha, or undefined when fully transparent. */
function inkBox(p: Pixels): { left: number; top: number; right: number; bottom: number } | undefined {
  let [left, top, right, bottom] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < p.height; y++)
    for (let x = 0; x < p.width; x++)
      if (alpha(p, x, y) > 0) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
  return right < 0 ? undefined : { left, top, right, bottom };
}

async function glyph(text: string, fontWeight: 400 | 700 = 700): Promise<Pixels> {
  const l = layer({ box: { x: 0, y: 0, width: 200, height: 120 }, style: { fontSize: 80, fontWeight, color: '#000000' } });
  return decode(drawTextLayer(l, text).png);
}

test('helpers format for ja-JP', () => {
  const r = (src: string, data: Record<string, unknown> = {}) => compileText(src)(data);
  assert.equal(r('{{yen v}}', { v: 12000 }), '¥12,000');
  assert.equal(r('{{yen v}}', { v: 12000 }).codePointAt(0), 0xa5, 'the ordinary yen sign, not the full-width one ICU emits');
  assert.equal(r('{{number v}}', { v: 12000 }), '12,000');
  assert.equal(r('{{percent v}}', { v: 0.125 }), '12.5%');
  assert.equal(r('{{date v}}', { v: '2026-11-22' }), '2026年11月22日');
  assert.equal(r('{{date v}}', { v: '2026-11-21T20:00:00Z' }), '2026年11月22日', 'date-times are Japan time');
  assert.equal(r('{{default nickname "お客"}}様'), 'お客様');
  assert.equal(r('{{default nickname "お客"}}様', { nickname: 'たろう' }), 'たろう様');
  for (const bad of ['abc', null, undefined, {}, [], NaN, Infinity, true]) {
    assert.equal(r('[{{yen v}}|{{number v}}|{{percent v}}]', { v: bad }), '[||]');
  }
  assert.equal(r('{{yen v}}', { v: '12000' }), '¥12,000', 'numeric strings from CSV count as numbers');
});

test('the ¥ that yen emits is a real glyph in Noto Sans JP', async () => {
  const yen = await glyph('¥');
  const tofu = await glyph('\uE000');
  assert.ok(inkSum(yen) > 0);
  assert.notDeepEqual(yen.data, tofu.data);
});

test('templates: syntax errors, isolation, hostile data', () => {
  assert.throws(() => compileText('{{name'), (e: unknown) => e instanceof TemplateSyntaxError && /line 1/.test(e.message));
  assert.throws(() => compileText('{{#if x}}a'), TemplateSyntaxError);
  assert.throws(() => compileText('{{nosuchhelper name}}'), (e: unknown) => e instanceof TemplateSyntaxError && /nosuchhelper/.test(e.message));
  assert.throws(() => compileText('{{> partial}}'), TemplateSyntaxError);
  assert.equal(compileText('{{name}}'), compileText('{{name}}'), 'compiled templates are cached');

  assert.equal(typeof Handlebars.helpers['yen'], 'undefined', 'helpers stay out of the global Handlebars');
  Handlebars.registerHelper('yen', () => 'hijacked');
  try {
    assert.equal(compileText('{{yen 5}}')({}), '¥5');
  } finally {
    Handlebars.unregisterHelper('yen');
  }

  const tpl = compileText('{{name}}様');
  const hostile = ['{{name}}', '{{#each x}}', '<svg onload="x">&amp;', '😀👨‍👩‍👧', 'あ'.repeat(10_000), '\u0000\ud800'];
  for (const name of hostile) assert.equal(tpl({ name }), `${name}様`, 'inserted literally, never escaped or re-evaluated');
  const l = layer({ text: '{{name}}様なら、年間{{yen savings}}お得になります' });
  assert.equal(resolveLayerText(l, { name: '山田', savings: 12000 }), '山田様なら、年間¥12,000お得になります');
});

test('draws the text in its color inside the box with a transparent margin', async () => {
  const l = layer({ text: '山田様なら、年間{{yen savings}}お得になります' });
  const text = resolveLayerText(l, { savings: 12000 });
  const out = drawTextLayer(l, text);
  assert.deepEqual([out.layerId, out.x, out.y, out.width, out.height], ['l1', 40, 600, 800, 160]);
  const p = await decode(out.png);
  assert.deepEqual([p.width, p.height], [800, 160]);

  let colored = 0;
  for (let i = 0; i < p.data.length; i += 4) {
    if (p.data[i + 3] === 255 && p.data[i] === 0xff && p.data[i + 1] === 0x33 && p.data[i + 2] === 0x66) colored++;
  }
  assert.ok(colored > 2000, `expected solid #ff3366 ink, got ${colored} pixels`);

  const box = inkBox(p);
  assert.ok(box);
  // 48px text centred in 160px: rows above and below, columns at both sides stay clear.
  assert.ok(box.top > 40 && box.bottom < 120, `vertical ink ${box.top}..${box.bottom}`);
  assert.ok(box.left > 0 && box.right < 799, `horizontal ink ${box.left}..${box.right}`);
  for (let y = 0; y < 30; y++) for (let x = 0; x < 800; x++) assert.equal(alpha(p, x, y), 0);
});

test('rare kanji 髙 and 﨑 render as glyphs, not tofu', async () => {
  const tofu = await glyph('\uE000');
  assert.ok(inkSum(tofu) > 0, 'the missing-glyph box itself draws');
  for (const ch of ['髙', '﨑']) {
    const g = await glyph(ch);
    assert.ok(inkSum(g) > 0);
    assert.notDeepEqual(g.data, tofu.data, `${ch} drew the missing-glyph box`);
  }
  assert.notDeepEqual((await glyph('髙')).data, (await glyph('高')).data, '髙 is not substituted by 高');
  assert.notDeepEqual((await glyph('﨑')).data, (await glyph('崎')).data, '﨑 is not substituted by 崎');
});

test('bold draws more ink than regular', async () => {
  const bold = inkSum(await glyph('山田様', 700));
  const regular = inkSum(await glyph('山田様', 400));
  assert.ok(bold > regular * 1.2, `bold ${bold} vs regular ${regular}`);
});

test('shrink: a very long name is made smaller and kept whole inside the box', async () => {
  const l = layer({ box: { x: 0, y: 0, width: 600, height: 100 }, style: { fontSize: 60 } });
  const name = '寿限無寿限無五劫の擦り切れ海砂利水魚様';
  const fit = measureFit(l, name);
  assert.equal(fit.fits, true);
  assert.equal(fit.truncated, false);
  assert.ok(fit.fontSize < 60 && fit.fontSize >= 30, `font ${fit.fontSize}`);
  assert.deepEqual(fit.lines, [name]);
  assert.deepEqual(measureFit(l, '山田様'), { fits: true, fontSize: 60, lines: ['山田様'], truncated: false });

  const p = await decode(drawTextLayer(l, name).png);
  const box = inkBox(p);
  assert.ok(box && box.left > 0 && box.top > 0 && box.right < 599 && box.bottom < 99, 'no glyph cut at the edge');
  assert.ok(box.right - box.left > 500, 'uses the width it was given');

  // Beyond the minimum size the line is cut with an ellipsis, still inside the box.
  const huge = measureFit(l, name.repeat(5));
  assert.equal(huge.truncated, true);
  assert.equal(huge.fits, false);
  assert.equal(huge.fontSize, 30);
  assert.match(huge.lines[0]!, /^寿限無.*…$/);
  // At 30px the 19 characters plus '…' fill the 600px exactly; the '…' dots must be there.
  const q = await decode(drawTextLayer(l, name.repeat(5)).png);
  let dots = 0;
  for (let y = 0; y < 100; y++) for (let x = 575; x < 600; x++) if (alpha(q, x, y) > 128) dots++;
  assert.ok(dots > 10, 'ellipsis drawn at the end of the box');
});

test('wrap: kinsoku keeps 、。 off line starts, and shrinks to fit the height', () => {
  const text = '山田様、いつもご利用ありがとうございます。年間¥12,000お得になる「特別プラン」をご用意しました。ぜひ、ご検討ください。';
  let multiLine = 0;
  for (let width = 160; width <= 700; width += 23) {
    const fit = measureFit(layer({ fit: 'wrap', box: { x: 0, y: 0, width, height: 400 }, style: { fontSize: 40 } }), text);
    if (fit.lines.length > 1) multiLine++;
    for (const line of fit.lines.slice(1)) assert.doesNotMatch(line, /^[、。」ー]/, `width ${width}: ${JSON.stringify(fit.lines)}`);
    for (const line of fit.lines) assert.doesNotMatch(line, /「$/);
    if (!fit.truncated) assert.equal(fit.lines.join(''), text, 'nothing lost');
    assert.ok(!fit.lines.some((line) => /¥12,0?$|^,?000/.test(line)), 'amounts are not split');
  }
  assert.ok(multiLine > 10);

  const tight = measureFit(layer({ fit: 'wrap', box: { x: 0, y: 0, width: 400, height: 150 }, style: { fontSize: 48 } }), text);
  assert.equal(tight.fits, true);
  assert.ok(tight.fontSize < 48 && tight.lines.length >= 3, JSON.stringify(tight));

  const over = measureFit(layer({ fit: 'wrap', box: { x: 0, y: 0, width: 400, height: 150 }, style: { fontSize: 48 } }), text.repeat(4));
  assert.equal(over.truncated, true);
  assert.equal(over.fontSize, 24);
  assert.match(over.lines.at(-1)!, /…$/);
});

test('any string draws without throwing: {{, <svg>, emoji, controls, lone surrogates, 10,000 chars', async () => {
  const l = layer({ box: { x: 0, y: 0, width: 640, height: 120 }, style: { stroke: { color: '#000', width: 3 }, shadow: { color: '#0008', blur: 4 } } });
  const wrap = { ...l, fit: 'wrap' as const, style: { ...l.style, background: { color: '#222c' } } };
  const inputs = ['', '   ', '{{', '{{name}}', '<svg onload="alert(1)">', '😀👨‍👩‍👧‍👦🇯🇵', '\u0000\u0007\u001b[31m\u007f\u0085', '\ud800\udc00\ud83d', 'x'.repeat(10_000), '髙'.repeat(10_000), 'z\u0301\u0302'.repeat(500)];
  const started = performance.now();
  for (const s of inputs) {
    for (const target of [l, wrap]) {
      const out = drawTextLayer(target, s);
      assert.equal(out.width, 640);
      const p = await decode(out.png);
      assert.equal(p.height, 120);
    }
  }
  assert.ok(performance.now() - started < 3000, 'long inputs are bounded by what the box can show');

  const controls = measureFit(l, 'a\u0000b\u0007c\ud800d');
  assert.deepEqual(controls.lines, ['abcd'], 'controls and lone surrogates are dropped');
  assert.deepEqual(measureFit(l, ''), { fits: true, fontSize: 48, lines: [], truncated: false });
  assert.equal(inkBox(await decode(drawTextLayer(wrap, '').png)), undefined, 'empty text leaves no empty card');
});

test('ensureFonts is idempotent', () => {
  ensureFonts();
  const before = JSON.stringify(GlobalFonts.families);
  ensureFonts();
  assert.equal(JSON.stringify(GlobalFonts.families), before);
  assert.ok(GlobalFonts.has('Noto Sans JP'));
});
