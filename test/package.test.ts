// Template package intake: hostile zips are refused without writing outside
// the destination, fonts' cmaps are read from every container, and the JSON
// Schema reports one bilingual problem per place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, inflateSync } from 'node:zlib';
import {
  extractPackage,
  listDirPackage,
  fontCodepoints,
  bundledCoverage,
  missingChars,
  FontError,
  validateManifestSchema,
  type Problem,
} from '../src/templates/package/index.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';
import { makeZip } from './support/raw-zip.ts';

const MANIFEST = readFileSync(new URL('../templates/energy-savings/template.json', import.meta.url));

async function sandbox(): Promise<{ base: string; dest: string }> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'kasane-pkg-test-'));
  const dest = path.join(base, 'dest');
  await mkdir(dest);
  return { base, dest };
}

/** Everything under dir, '/'-separated. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(path.join(dir, rel))) {
      const r = rel ? `${rel}/${n}` : n;
      if (statSync(path.join(dir, r)).isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

const pointers = (ps: Problem[]) => ps.map((p) => p.pointer);
const JA = /[\u3040-\u30ff\u4e00-\u9fff]/;

function assertBilingual(ps: Problem[]): void {
  for (const p of ps) {
    assert.ok(p.message.length > 0 && !JA.test(p.message.replace(/「.*?」|"[^"]*"/g, '')), `English message: ${p.message}`);
    assert.ok(JA.test(p.message_ja), `Japanese message: ${p.message_ja}`);
  }
}

// ---------------------------------------------------------------------------
// Zips

test('a good package under one top folder is extracted with the folder stripped', async () => {
  const { base, dest } = await sandbox();
  try {
    const zip = makeZip([
      { name: 'my-template/', unixMode: 0o040755 },
      { name: 'my-template/template.json', data: MANIFEST },
      { name: 'my-template/base.mp4', data: Buffer.alloc(4096, 7), store: true },
      { name: 'my-template/overlays/badge.svg', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') },
      // macOS Archive Utility: NFD name without the UTF-8 flag, plus AppleDouble junk.
      { name: Buffer.from('my-template/fonts/ゴシック.otf'.normalize('NFD'), 'utf8'), utf8: false, data: Buffer.from('font') },
      { name: '__MACOSX/my-template/._template.json', data: Buffer.from('junk') },
      { name: 'my-template/.DS_Store', data: Buffer.from('junk') },
    ]);
    const r = await extractPackage(zip, dest);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.files, ['template.json', 'base.mp4', 'overlays/badge.svg', 'fonts/ゴシック.otf']);
    assert.deepEqual(tree(dest), ['base.mp4', 'fonts/ゴシック.otf', 'overlays/badge.svg', 'template.json']);
    assert.deepEqual(await readFile(path.join(dest, 'template.json')), MANIFEST);
    assert.deepEqual(readdirSync(base), ['dest']);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('a folder zipped by `kasane template push` (yazl) unpacks to the same files, and a damaged one is caught', async () => {
  const { base, dest } = await sandbox();
  try {
    const files = [
      { name: 'template.json', data: MANIFEST },
      { name: 'フォント/ゴシック.otf', data: Buffer.alloc(50_000, 3) },
    ];
    const zip = await zipFiles(files);
    const r = await extractPackage(zip, dest);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(tree(dest), ['template.json', 'フォント/ゴシック.otf']);
    assert.deepEqual(await readFile(path.join(dest, 'フォント/ゴシック.otf')), files[1]!.data);
    // Flip one stored CRC byte: yauzl does not check CRC-32, our extractor must.
    const bad = Buffer.from(zip);
    bad.writeUInt32LE((bad.readUInt32LE(14) ^ 1) >>> 0, 14); // first local header's CRC
    const central = bad.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bad.writeUInt32LE((bad.readUInt32LE(central + 16) ^ 1) >>> 0, central + 16);
    await rm(dest, { recursive: true });
    await mkdir(dest);
    const r2 = await extractPackage(bad, dest);
    assert.ok(r2.problems.some((p) => /checksum/.test(p.message) && p.pointer.includes('template.json')), JSON.stringify(r2.problems));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('a Shift_JIS name from Windows is decoded', async () => {
  const { base, dest } = await sandbox();
  try {
    // 'フォント.otf' in Shift_JIS, no UTF-8 flag: what Explorer's "Compressed folder" writes on Japanese Windows.
    const sjis = Buffer.concat([Buffer.from([0x83, 0x74, 0x83, 0x48, 0x83, 0x93, 0x83, 0x67]), Buffer.from('.otf')]);
    const r = await extractPackage(makeZip([{ name: 'template.json', data: MANIFEST }, { name: sjis, utf8: false, data: Buffer.from('x') }]), dest);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.files, ['template.json', 'フォント.otf']);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('hostile entries are all refused at once and nothing is written anywhere', async () => {
  const { base, dest } = await sandbox();
  try {
    const zip = makeZip([
      { name: 'template.json', data: MANIFEST },
      { name: '../evil.txt', data: Buffer.from('evil') },
      { name: '/abs.txt', data: Buffer.from('evil') },
      { name: 'a\\b.txt', data: Buffer.from('evil') },
      { name: 'C:/win.txt', data: Buffer.from('evil') },
      { name: 'ctl\u0007.txt', data: Buffer.from('evil') },
      { name: 'link', data: Buffer.from('/etc/passwd'), unixMode: 0o120777 },
      { name: 'Dup.txt', data: Buffer.from('1') },
      { name: 'dup.txt', data: Buffer.from('2') },
      { name: 'secret.txt', data: Buffer.from('x'), flags: 1 },
      { name: 'ok/../../evil2.txt', data: Buffer.from('evil') },
      { name: 'zeros.bin', data: Buffer.alloc(5 * 1024 * 1024) }, // found by inflating, reported with the rest
    ]);
    const r = await extractPackage(zip, dest);
    assert.deepEqual(r.files, []);
    assert.deepEqual(pointers(r.problems), [
      'zip:../evil.txt',
      'zip:/abs.txt',
      'zip:a\\b.txt',
      'zip:C:/win.txt',
      'zip:ctl\u0007.txt',
      'zip:link',
      'zip:dup.txt',
      'zip:secret.txt',
      'zip:ok/../../evil2.txt',
      'zip:zeros.bin',
    ]);
    assertBilingual(r.problems);
    assert.match(r.problems[0]!.message, /outside the package/);
    assert.match(r.problems[5]!.message, /symbolic link/);
    assert.match(r.problems[6]!.message, /twice/);
    assert.match(r.problems[7]!.message, /encrypted/);
    assert.match(r.problems[9]!.message, /zip bomb/);
    assert.deepEqual(readdirSync(base), ['dest']);
    assert.deepEqual(tree(dest), []);
    assert.ok(!existsSync(path.join(os.tmpdir(), 'evil.txt')) && !existsSync('/abs.txt'));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('a zip bomb is stopped by the ratio check after 1 MiB, from the inflated stream', async () => {
  const { base, dest } = await sandbox();
  try {
    const zeros = Buffer.alloc(50 * 1024 * 1024);
    const zip = makeZip([{ name: 'template.json', data: MANIFEST }, { name: 'bomb.bin', data: zeros }]);
    assert.ok(zip.length < 200 * 1024, `the bomb is small (${zip.length} bytes)`);
    const r = await extractPackage(zip, dest);
    assert.deepEqual(pointers(r.problems), ['zip:bomb.bin']);
    assert.match(r.problems[0]!.message, /200×/);
    assertBilingual(r.problems);
    assert.deepEqual(tree(dest), [], 'the partial bomb and template.json are removed');

    // Headers that understate the size do not help: counting stops at the declared size.
    const liar = makeZip([{ name: 'template.json', data: MANIFEST }, { name: 'small.bin', data: zeros.subarray(0, 3 * 1024 * 1024), lieSize: 1000 }]);
    const r2 = await extractPackage(liar, dest, { maxRatio: 1e9 });
    assert.deepEqual(pointers(r2.problems), ['zip:small.bin']);
    assert.match(r2.problems[0]!.message, /more data than its header says/);
    assert.deepEqual(tree(dest), []);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('entries sharing compressed data (overlap bomb) are refused before inflating', async () => {
  const { base, dest } = await sandbox();
  try {
    const zip = makeZip([{ name: 'a.bin', data: Buffer.alloc(1000) }, { name: 'b.bin', sameDataAs: 0 }, { name: 'c.bin', sameDataAs: 0 }]);
    const r = await extractPackage(zip, dest);
    assert.deepEqual(pointers(r.problems), ['zip:']);
    assert.match(r.problems[0]!.message, /overlap/);
    assert.deepEqual(tree(dest), []);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('limits: file count, total size, zip size, not a zip', async () => {
  const { base, dest } = await sandbox();
  try {
    const many = makeZip(Array.from({ length: 201 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from(String(i)) })));
    const r1 = await extractPackage(many, dest);
    assert.deepEqual(pointers(r1.problems), ['zip:']);
    assert.match(r1.problems[0]!.message, /201 files; the limit is 200/);
    assert.deepEqual(tree(dest), []);

    // Sizes headers admit to are refused up front; the real count catches the rest.
    const big = makeZip([{ name: 'a.bin', data: Buffer.alloc(700 * 1024, 1), store: true }, { name: 'b.bin', data: Buffer.alloc(700 * 1024, 2), store: true }]);
    const r2 = await extractPackage(big, dest, { maxTotalBytes: 1024 * 1024 });
    assert.deepEqual(pointers(r2.problems), ['zip:']);
    assert.match(r2.problems[0]!.message, /add up to/);

    const r3 = await extractPackage(big, dest, { maxZipBytes: 1000 });
    assert.match(r3.problems[0]!.message, /the limit is/);
    assert.deepEqual(pointers(r3.problems), ['zip:']);

    const r4 = await extractPackage(Buffer.from('PK this is not a zip at all'), dest);
    assert.deepEqual(pointers(r4.problems), ['zip:']);
    assertBilingual([...r1.problems, ...r2.problems, ...r3.problems, ...r4.problems]);
    assert.deepEqual(tree(dest), []);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('listDirPackage: links are reported, not followed; junk skipped; same limits', async () => {
  const { base, dest } = await sandbox();
  try {
    const dir = path.join(base, 'pkg');
    await mkdir(path.join(dir, 'overlays'), { recursive: true });
    await mkdir(path.join(dir, '.git'), { recursive: true });
    await writeFile(path.join(dir, 'template.json'), MANIFEST);
    await writeFile(path.join(dir, 'overlays', 'badge.svg'), '<svg/>');
    await writeFile(path.join(dir, '.DS_Store'), 'junk');
    await writeFile(path.join(dir, '.git', 'HEAD'), 'ref');
    const good = await listDirPackage(dir);
    assert.deepEqual(good, { files: ['overlays/badge.svg', 'template.json'], problems: [] });

    await symlink('/etc/passwd', path.join(dir, 'passwd'));
    await symlink(dest, path.join(dir, 'outside'));
    await writeFile(path.join(dir, 'Template.json'), '{}');
    const bad = await listDirPackage(dir);
    assert.deepEqual(bad.files, []);
    assert.deepEqual(pointers(bad.problems).sort(), ['file:outside', 'file:passwd', 'file:template.json'].sort());
    assertBilingual(bad.problems);

    const few = await listDirPackage(path.join(base, 'pkg', 'overlays'), { maxFiles: 0 });
    assert.match(few.problems[0]!.message, /the limit is 0/);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------
// Fonts

const require = createRequire(import.meta.url);
const NOTO = path.join(path.dirname(require.resolve('@fontsource/noto-sans-jp/package.json')), 'files');

/** The fontsource subset whose unicode-range holds a code point. */
function subsetOf(cp: number): string {
  const ranges = require('@fontsource/noto-sans-jp/unicode.json') as Record<string, string>;
  for (const [key, list] of Object.entries(ranges)) {
    for (const r of list.split(',')) {
      const [a, b] = r.trim().replace('U+', '').split('-');
      const lo = parseInt(a!, 16);
      const hi = b ? parseInt(b, 16) : lo;
      if (cp >= lo && cp <= hi) return key.replace(/[[\]]/g, '');
    }
  }
  throw new Error(`no subset for U+${cp.toString(16)}`);
}

/** The raw cmap table of a WOFF 1 file (for building fonts in tests). */
function woffCmap(woff: Buffer): Buffer {
  for (let i = 0; i < woff.readUInt16BE(12); i++) {
    const r = 44 + i * 20;
    if (woff.toString('latin1', r, r + 4) !== 'cmap') continue;
    const [off, comp, orig] = [woff.readUInt32BE(r + 4), woff.readUInt32BE(r + 8), woff.readUInt32BE(r + 12)];
    const data = woff.subarray(off, off + comp);
    return comp < orig ? inflateSync(data) : data;
  }
  throw new Error('no cmap');
}

test('bundled Noto Sans JP coverage: あ, 髙, not 🎉; WOFF and WOFF2 of a subset agree', (t) => {
  const t0 = performance.now();
  const coverage = bundledCoverage();
  const ms = performance.now() - t0;
  t.diagnostic(`bundledCoverage: ${coverage.size} code points in ${ms.toFixed(0)} ms (cold)`);
  assert.ok(ms < 3000, `bundledCoverage took ${ms} ms`);
  assert.equal(bundledCoverage(), coverage, 'cached');
  assert.ok(coverage.has(0x3042), 'あ');
  assert.ok(coverage.has(0x9ad9), '髙 (in Noto Sans JP; used by worst-case names)');
  assert.ok(coverage.has(0xfa11), '﨑');
  assert.ok(!coverage.has(0x1f389), '🎉');
  assert.deepEqual(missingChars('山田🎉', coverage), ['🎉']);

  const sub = subsetOf(0x3042);
  const w2 = fontCodepoints(readFileSync(path.join(NOTO, `noto-sans-jp-${sub}-400-normal.woff2`)));
  const w1 = fontCodepoints(readFileSync(path.join(NOTO, `noto-sans-jp-${sub}-400-normal.woff`)));
  assert.ok(w2.has(0x3042));
  assert.deepEqual([...w1].sort((a, b) => a - b), [...w2].sort((a, b) => a - b));
});

test('WOFF2: cmap found after transformed glyf/loca/hmtx and an arbitrary-tag table', () => {
  const sub = subsetOf(0x3042);
  const woff = readFileSync(path.join(NOTO, `noto-sans-jp-${sub}-400-normal.woff`));
  const cmap = woffCmap(woff);
  const base128 = (n: number) => {
    const bytes = [n & 0x7f];
    for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) bytes.unshift((n & 0x7f) | 0x80);
    return Buffer.from(bytes);
  };
  // [flags, origLength, transformLength?, stream bytes]: glyf/loca version 0 = transformed;
  // hmtx version 1 = transformed; 'ZZZZ' arbitrary tag (index 63).
  const dir: Buffer[] = [];
  const stream: Buffer[] = [];
  const table = (flags: number, tag: string | null, orig: number, transformed: number | null, bytes: number) => {
    dir.push(Buffer.from([flags]));
    if (tag) dir.push(Buffer.from(tag, 'latin1'));
    dir.push(base128(orig));
    if (transformed !== null) dir.push(base128(transformed));
    stream.push(Buffer.alloc(bytes, 0xab));
  };
  table(10, null, 90000, 60001, 60001); // glyf, transformed: 60001 bytes in the stream, not 90000
  table(11, null, 4000, 0, 0); // loca, transformed: nothing in the stream
  table(3 | (1 << 6), null, 5000, 1234, 1234); // hmtx, transform version 1
  table(63, 'ZZZZ', 77, null, 77); // arbitrary tag, null transform
  dir.push(Buffer.from([0]), base128(cmap.length));
  stream.push(cmap);
  const compressed = brotliCompressSync(Buffer.concat(stream));
  const directory = Buffer.concat(dir);
  const header = Buffer.alloc(48);
  header.write('wOF2', 0, 'latin1');
  header.writeUInt32BE(0x00010000, 4);
  header.writeUInt32BE(48 + directory.length + compressed.length, 8);
  header.writeUInt16BE(5, 12); // numTables
  header.writeUInt32BE(compressed.length, 20);
  const got = fontCodepoints(Buffer.concat([header, directory, compressed]));
  const want = fontCodepoints(woff);
  assert.ok(got.has(0x3042));
  assert.deepEqual([...got].sort((a, b) => a - b), [...want].sort((a, b) => a - b));
});

test('a TrueType font from this machine', (t) => {
  let file: string | undefined;
  try {
    file = execFileSync('fc-list', ['--format', '%{file}\n', ':fontformat=TrueType'], { encoding: 'utf8' })
      .split('\n')
      .find((f) => /\.ttf$/i.test(f));
  } catch {
    // no fontconfig: look in the usual place
  }
  if (!file) {
    const dir = '/usr/share/fonts';
    const all = existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : [];
    const rel = all.find((f) => /\.ttf$/i.test(f));
    if (rel) file = path.join(dir, rel);
  }
  if (!file) return t.skip('no .ttf font on this machine (fc-list and /usr/share/fonts found none)');
  const set = fontCodepoints(readFileSync(file));
  t.diagnostic(`${file}: ${set.size} code points`);
  assert.ok(set.has(0x41) && set.has(0x61), 'A and a');
  assert.ok(!set.has(0xffff) && !set.has(0), 'no noncharacters / NUL');
});

test('damaged fonts throw FontError, never hang', () => {
  const woff2 = readFileSync(path.join(NOTO, `noto-sans-jp-${subsetOf(0x3042)}-400-normal.woff2`));
  assert.throws(() => fontCodepoints(Buffer.from('not a font at all')), FontError);
  assert.throws(() => fontCodepoints(woff2.subarray(0, 200)), FontError);
  assert.throws(() => fontCodepoints(Buffer.alloc(4)), FontError);
  const ttfHeader = Buffer.alloc(12 + 16);
  ttfHeader.writeUInt32BE(0x00010000, 0);
  ttfHeader.writeUInt16BE(1, 4);
  ttfHeader.write('cmap', 12, 'latin1');
  ttfHeader.writeUInt32BE(1 << 30, 20); // cmap far beyond the end
  ttfHeader.writeUInt32BE(100, 24);
  assert.throws(() => fontCodepoints(ttfHeader), FontError);
});

test('missingChars: whitespace, controls and selectors ignored; clusters reported whole, once, in order', () => {
  const coverage = bundledCoverage();
  assert.deepEqual(missingChars('山田 太郎\u3000様\n\t\u200b', coverage), []);
  // 葛 + IVS (U+E0100): drawn as 葛 when the font lacks the sequence.
  assert.deepEqual(missingChars('葛\u{E0100}城', coverage), []);
  assert.deepEqual(missingChars('🎉a🎉👨‍👩‍👧🇯🇵', coverage), ['🎉', '👨‍👩‍👧', '🇯🇵']);
  assert.deepEqual(missingChars('abc', new Set([0x61])), ['b', 'c']);
});

// ---------------------------------------------------------------------------
// Schema

test('the bundled template validates against docs/template.schema.json', () => {
  assert.deepEqual(validateManifestSchema(JSON.parse(MANIFEST.toString('utf8'))), []);
});

test('every layer type, fonts, arrays and animations validate', () => {
  const m = {
    $schema: '../../docs/template.schema.json',
    id: 'shop-reco',
    name: 'おすすめ商品',
    locale: 'ja-JP',
    video: { file: 'base.mp4' },
    output: { width: 1080, height: 1920, fps: 29.97 },
    encoder: { preset: 'fast', crf: 20, maxrateKbps: 6000, bufsizeKbps: 12000, profile: 'main', bframes: 0, audioBitrateKbps: 96 },
    fonts: [{ family: 'Brand', file: 'fonts/Brand-Bold.otf', weight: 700 }],
    fields: {
      name: { type: 'string', required: true, maxLength: 20, example: '山田', worst: '髙﨑ジェニファー' },
      products: {
        type: 'array', minItems: 1, maxItems: 3,
        items: { type: 'object', properties: { name: { type: 'string', maxLength: 30 }, price: { type: 'integer', minimum: 0 }, image: { type: 'string', maxLength: 2000 } } },
        example: [{ name: '電気ケトル', price: 3980, image: 'https://example.com/k.jpg' }],
      },
      bills: { type: 'array', items: { type: 'number' }, maxItems: 12, example: [120, 98.5] },
      months: { type: 'array', items: { type: 'string', maxLength: 3 }, example: ['1月'] },
    },
    layers: [
      { id: 't', type: 'text', start: 0, end: 2, box: { x: 0, y: 0, width: 100, height: 50 }, text: '{{name}}様', fit: 'wrap',
        style: { fontFamily: 'Brand', fontWeight: 700, fontSize: 40, minFontSize: 20, color: 'white', align: 'left', valign: 'top', lineHeight: 1.2, stroke: { color: '#000', width: 2 }, shadow: { color: 'rgba(0,0,0,.5)', blur: 4, offsetX: 1, offsetY: -1 }, background: { color: '#102a52b8', radius: 8, padding: 4 } },
        fade: { in: 0.3, out: 0 }, slide: { in: { from: 'left', duration: 0.5, distance: 120 }, out: { to: 'bottom', duration: 0.25 } } },
      { id: 's', type: 'svg', start: 1, end: 3, box: { x: -10, y: 0, width: 100, height: 100 }, file: 'overlays/badge.svg' },
      { id: 'i', type: 'image', start: 1, end: 3, box: { x: 0, y: 0, width: 100, height: 100 }, url: '{{photo}}', fallback: 'images/none.PNG', fit: 'cover', radius: 12 },
      { id: 'p', type: 'items', start: 2, end: 4, box: { x: 0, y: 0, width: 900, height: 400 }, field: 'products', maxItems: 3, columns: 3, gap: 16, imageFallback: 'images/none.webp',
        card: { background: 'rgba(255,255,255,0.92)', radius: 20, padding: 16, nameStyle: { fontSize: 24 }, priceStyle: { color: '#e60033' }, badgeStyle: { color: '#fff', background: '#e60033', fontSize: 18 } } },
      { id: 'c', type: 'chart', start: 4, end: 8, box: { x: 0, y: 0, width: 900, height: 500 }, kind: 'bar', series: [{ field: 'bills', label: '今', color: '#ffe27a' }], labelsField: 'months', valueFormat: 'yen', title: '{{name}}様の電気代',
        style: { fontSize: 22, textColor: '#fff', gridColor: 'rgba(255,255,255,0.25)', background: 'rgba(0,0,0,0.4)', radius: 12, showValues: true, legend: false } },
    ],
  };
  assert.deepEqual(validateManifestSchema(m), []);
});

test('five mistakes give exactly five problems, at their places, in both languages', () => {
  const m = JSON.parse(MANIFEST.toString('utf8'));
  delete m.name; // 1
  m.layers[0].start = '2s'; // 2
  m.layers[1].type = 'caption'; // 3
  m.layers[0].box.width = -100; // 4
  delete m.fields.name.maxLength; // 5
  const ps = validateManifestSchema(m);
  assert.deepEqual(pointers(ps), ['/name', '/fields/name/maxLength', '/layers/0/start', '/layers/0/box/width', '/layers/1/type']);
  assertBilingual(ps);
  const at = (p: string) => ps.find((x) => x.pointer === p)!;
  assert.match(at('/layers/0/start').message, /seconds ≥ 0.*"2s"/);
  assert.match(at('/layers/0/start').message_ja, /0以上の秒数/);
  assert.match(at('/layers/1/type').message, /text, svg, image, items, chart/);
  assert.match(at('/fields/name/maxLength').message, /required/);
  assert.match(at('/name').message_ja, /必須/);
});

test('schema messages: typos get a suggestion, anyOf is one problem, bad layers do not hide good ones', () => {
  const m = JSON.parse(MANIFEST.toString('utf8'));
  m.layers[0].style.fontsize = 70;
  m.layers[1].style.color = 'ffe27a';
  m.fields['1st'] = { type: 'integer' };
  m.layers.push({ id: 'img', type: 'image', start: 0, end: 1, box: { x: 0, y: 0, width: 10, height: 10 } }, 42);
  const ps = validateManifestSchema(m);
  assert.deepEqual(pointers(ps), ['/fields/1st', '/layers/0/style/fontsize', '/layers/1/style/color', '/layers/2', '/layers/3']);
  assert.match(ps[1]!.message, /did you mean "fontSize"/);
  assert.match(ps[2]!.message, /CSS color/);
  assert.match(ps[3]!.message, /"file".*"url"/);
  assertBilingual(ps);
  assert.deepEqual(validateManifestSchema('nope').map((p) => p.pointer), ['']);
});
