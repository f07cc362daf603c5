import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSegments } from '../src/templates/segment-plan.ts';
import { validateData, worstData, type FieldSpec } from '../src/templates/fields.ts';
import { signToken, verifyToken } from '../src/viewer/signing.ts';
import { compileText } from '../src/overlays/handlebars.ts';

test('segments start at every overlay edge and never exceed 6 s', () => {
  const segs = planSegments(900, 30, [
    { layerId: 'a', startFrame: 60, endFrame: 180 },
    { layerId: 'b', startFrame: 300, endFrame: 420 },
  ]);
  const starts = segs.map((s) => s.startFrame);
  for (const edge of [0, 60, 180, 300, 420]) assert.ok(starts.includes(edge), `boundary at ${edge}`);
  assert.ok(segs.every((s) => s.frames <= 180));
  assert.equal(segs.reduce((n, s) => n + s.frames, 0), 900);
  assert.deepEqual(segs.filter((s) => s.layers.length).map((s) => [s.startFrame, s.frames, s.layers]), [[60, 120, ['a']], [300, 120, ['b']]]);
});

test('worst-case data is the widest value each field accepts: an enum\'s widest member, a string its pattern allows, the wider number bound', () => {
  const fields: Record<string, FieldSpec> = {
    plan: { type: 'string', maxLength: 12, enum: ['ライト', 'スタンダードプラン', 'Premium Plus'] },
    zip: { type: 'string', maxLength: 8, pattern: '^[0-9]{3}-?[0-9]{4}$' },
    postcode: { type: 'string', maxLength: 8, pattern: '^[0-9]{3}-[0-9]{4}$', example: '150-0002' },
    code: { type: 'string', maxLength: 6, pattern: '^[A-Z]+$' },
    name: { type: 'string', maxLength: 4 },
    size: { type: 'integer', enum: [1, 250, 40] },
    change: { type: 'integer', minimum: -1000000, maximum: 100 },
    tags: { type: 'array', maxItems: 2, items: { type: 'string', maxLength: 9, enum: ['a', 'bbb'] } },
  };
  const worst = worstData(fields);
  // Full-width katakana draws twice as wide as Latin letters: 9 of them beat 12 letters.
  assert.equal(worst.plan, 'スタンダードプラン');
  assert.equal(worst.code, 'WWWWWW');
  assert.equal(worst.name, '髙髙髙髙');
  assert.equal(worst.size, 250);
  assert.equal(worst.change, -1000000);
  assert.deepEqual(worst.tags, ['bbb', 'bbb']);
  assert.equal(worst.zip, '9999999');
  // No run of one character matches this pattern: its example stands in (a template can declare its own worst); nothing invalid is made up.
  assert.equal(worst.postcode, '150-0002');
  // Whatever is derived is data a campaign could really send.
  assert.deepEqual(validateData(fields, worst).problems, []);
});

test('data validation lists every bad field by JSON pointer and drops undeclared fields', () => {
  const fields = {
    name: { type: 'string' as const, required: true, maxLength: 5 },
    savings: { type: 'integer' as const, required: true, minimum: 0 },
    'a/b': { type: 'string' as const, maxLength: 3 },
  };
  const bad = validateData(fields, { name: 'x'.repeat(10_000), savings: -1, 'a/b': 'okay🎉' });
  assert.deepEqual(bad.problems.map((p) => p.pointer).sort(), ['/data/a~1b', '/data/a~1b', '/data/name', '/data/savings']);
  assert.ok(bad.problems.every((p) => !p.message.includes('xxxxxxxx')), 'messages never echo the value');
  const ok = validateData(fields, { name: '山田', savings: '12000', email: 'private@example.jp' });
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.value, { name: '山田', savings: 12000 });
  assert.equal(validateData(fields, [1]).problems[0]!.pointer, '/data');
});

test('viewer tokens: valid, tampered, unknown key, expired; rotation keeps old links', () => {
  const k1 = { id: 'k1', secret: Buffer.from('secret-one-0123456789') };
  const k2 = { id: 'k2', secret: Buffer.from('secret-two-0123456789') };
  const now = 1_800_000_000;
  const t = signToken([k1], 'rABC123', now + 60);
  assert.deepEqual(verifyToken([k1], t, now), { ok: true, renderId: 'rABC123', expiresAt: now + 60 });
  assert.equal(verifyToken([k1], t.replace('rABC123', 'rABC124'), now).ok, false);
  assert.equal(verifyToken([k1], t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A'), now).ok, false);
  assert.deepEqual(verifyToken([k2], t, now), { ok: false, reason: 'unknown-key' });
  assert.equal((verifyToken([k1], t, now + 61) as { reason: string }).reason, 'expired');
  assert.equal(verifyToken([k2, k1], t, now).ok, true, 'a rotated-out key still verifies');
  assert.equal(verifyToken([k1], 'garbage', now).ok, false);
});

test('text helpers format for the template locale (ja-JP by default)', () => {
  const t = compileText('{{yen a}} {{number a}} {{percent r}} {{date d}}');
  const data = { a: 12000, r: 0.125, d: '2026-11-22' };
  assert.equal(t(data), '¥12,000 12,000 12.5% 2026年11月22日');
  assert.equal(t(data, 'en-US'), '¥12,000 12,000 12.5% November 22, 2026');
  assert.equal(t(data, 'not a locale'), t(data));
});
