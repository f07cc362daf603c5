// Glyph coverage: which Unicode code points a font can draw, read from its
// cmap table, so a package can be refused before a customer's name renders
// as tofu. Only the cmap is parsed; nothing else in the font is trusted.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { brotliDecompressSync, inflateSync } from 'node:zlib';

export class FontError extends Error {}

const tagAt = (b: Buffer, o: number): string => b.toString('latin1', o, o + 4);

/** Code points the font maps to a real glyph (not .notdef). Throws FontError for anything it cannot read. */
export function fontCodepoints(font: Buffer): Set<number> {
  try {
    if (font.length < 12) throw new FontError('the file is too short to be a font');
    const sig = tagAt(font, 0);
    let cmap: Buffer;
    if (sig === 'wOFF') cmap = woffCmap(font);
    else if (sig === 'wOF2') cmap = woff2Cmap(font);
    else cmap = sfntCmap(font);
    return parseCmap(cmap);
  } catch (e) {
    if (e instanceof FontError) throw e;
    // Buffer reads past the end throw RangeError: the file is truncated or lies about its offsets.
    if (e instanceof RangeError) throw new FontError('the font file is damaged (a table points outside the file)');
    throw new FontError(`the font file is damaged (${(e as Error).message})`);
  }
}

function sfntCmap(font: Buffer): Buffer {
  let base = 0;
  const sig = tagAt(font, 0);
  // A collection (.ttc): use its first font, the one a renderer picks by default.
  if (sig === 'ttcf') {
    if (font.readUInt32BE(8) < 1) throw new FontError('the font collection is empty');
    base = font.readUInt32BE(12);
  }
  const version = font.readUInt32BE(base);
  if (version !== 0x00010000 && tagAt(font, base) !== 'OTTO' && tagAt(font, base) !== 'true') {
    throw new FontError('not a font file (expected TrueType/OpenType, WOFF or WOFF2)');
  }
  const numTables = font.readUInt16BE(base + 4);
  for (let i = 0; i < numTables; i++) {
    const rec = base + 12 + i * 16;
    if (tagAt(font, rec) !== 'cmap') continue;
    const offset = font.readUInt32BE(rec + 8);
    const length = font.readUInt32BE(rec + 12);
    return slice(font, offset, length);
  }
  throw new FontError('the font has no cmap table (character map)');
}

function woffCmap(font: Buffer): Buffer {
  const numTables = font.readUInt16BE(12);
  for (let i = 0; i < numTables; i++) {
    const rec = 44 + i * 20;
    if (tagAt(font, rec) !== 'cmap') continue;
    const offset = font.readUInt32BE(rec + 4);
    const compLength = font.readUInt32BE(rec + 8);
    const origLength = font.readUInt32BE(rec + 12);
    const data = slice(font, offset, compLength);
    if (compLength >= origLength) return data; // stored uncompressed
    // maxOutputLength: a lying origLength must not make us inflate a bomb.
    const out = inflateSync(data, { maxOutputLength: Math.max(origLength, 1) });
    if (out.length !== origLength) throw new FontError('the WOFF cmap table has the wrong length');
    return out;
  }
  throw new FontError('the font has no cmap table (character map)');
}

// WOFF2 table tags by their 6-bit index in the table directory flags (spec §5.1).
const WOFF2_TAGS = [
  'cmap', 'head', 'hhea', 'hmtx', 'maxp', 'name', 'OS/2', 'post', 'cvt ', 'fpgm', 'glyf', 'loca', 'prep', 'CFF ', 'VORG', 'EBDT',
  'EBLC', 'gasp', 'hdmx', 'kern', 'LTSH', 'PCLT', 'VDMX', 'vhea', 'vmtx', 'BASE', 'GDEF', 'GPOS', 'GSUB', 'EBSC', 'JSTF', 'MATH',
  'CBDT', 'CBLC', 'COLR', 'CPAL', 'SVG ', 'sbix', 'acnt', 'avar', 'bdat', 'bloc', 'bsln', 'cvar', 'fdsc', 'feat', 'fmtx', 'fvar',
  'gvar', 'hsty', 'just', 'lcar', 'mort', 'morx', 'opbd', 'prop', 'trak', 'Zapf', 'Silf', 'Glat', 'Gloc', 'Feat', 'Sill',
];

function readBase128(b: Buffer, pos: { at: number }): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = b.readUInt8(pos.at++);
    if (i === 0 && byte === 0x80) throw new FontError('the WOFF2 table directory is damaged (leading zero in a length)');
    if (value > 0x1ffffff) throw new FontError('the WOFF2 table directory is damaged (length overflow)');
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return value;
  }
  throw new FontError('the WOFF2 table directory is damaged (length too long)');
}

function woff2Cmap(font: Buffer): Buffer {
  const flavor = tagAt(font, 4);
  if (flavor === 'ttcf') throw new FontError('WOFF2 font collections are not supported; package a single font (.woff2, .otf or .ttf)');
  const numTables = font.readUInt16BE(12);
  const totalCompressedSize = font.readUInt32BE(20);
  const pos = { at: 48 };
  // Tables sit back to back in the decompressed stream, in directory order and
  // without padding; a transformed table (glyf/loca, hmtx) occupies its
  // transformLength there, not its origLength.
  let streamOffset = 0;
  let cmap: { offset: number; length: number } | undefined;
  for (let i = 0; i < numTables; i++) {
    const flags = font.readUInt8(pos.at++);
    const tagIndex = flags & 0x3f;
    const tag = tagIndex === 63 ? tagAt(font, pos.at) : WOFF2_TAGS[tagIndex];
    if (tagIndex === 63) pos.at += 4;
    if (tag === undefined) throw new FontError('the WOFF2 table directory is damaged (unknown table index)');
    const version = flags >> 6;
    const origLength = readBase128(font, pos);
    // glyf/loca: version 0 means transformed; every other table: non-zero means transformed.
    const transformed = tag === 'glyf' || tag === 'loca' ? version === 0 : version !== 0;
    const length = transformed ? readBase128(font, pos) : origLength;
    if (tag === 'cmap') {
      if (transformed) throw new FontError('the WOFF2 cmap table uses an unknown transform');
      cmap = { offset: streamOffset, length };
    }
    streamOffset += length;
  }
  if (!cmap) throw new FontError('the font has no cmap table (character map)');
  const compressed = slice(font, pos.at, totalCompressedSize);
  // The whole stream must be inflated to reach cmap; cap it at the declared size so a bomb stops early.
  const stream = brotliDecompressSync(compressed, { maxOutputLength: Math.max(streamOffset, 1) });
  if (cmap.offset + cmap.length > stream.length) throw new FontError('the WOFF2 data is shorter than its table directory says');
  return stream.subarray(cmap.offset, cmap.offset + cmap.length);
}

function slice(b: Buffer, offset: number, length: number): Buffer {
  if (offset + length > b.length) throw new FontError('the font file is truncated');
  return b.subarray(offset, offset + length);
}

// Unicode subtables, best first: full-repertoire ones before BMP-only ones.
const PREFERRED: Array<[platform: number, encoding: number]> = [[3, 10], [0, 6], [0, 4], [3, 1], [0, 3], [0, 2], [0, 1], [0, 0]];
const MAX_CODEPOINT = 0x10ffff;

function parseCmap(cmap: Buffer): Set<number> {
  const numTables = cmap.readUInt16BE(2);
  const records = new Map<string, number>();
  for (let i = 0; i < numTables; i++) {
    const r = 4 + i * 8;
    const key = `${cmap.readUInt16BE(r)}/${cmap.readUInt16BE(r + 2)}`;
    if (!records.has(key)) records.set(key, cmap.readUInt32BE(r + 4));
  }
  for (const [p, e] of PREFERRED) {
    const offset = records.get(`${p}/${e}`);
    if (offset === undefined) continue;
    const set = parseSubtable(cmap, offset);
    if (set) return set;
  }
  throw new FontError('the font has no Unicode character map (cmap format 4 or 12)');
}

/** undefined for formats we do not read (then the next preferred subtable is tried). */
function parseSubtable(cmap: Buffer, o: number): Set<number> | undefined {
  const out = new Set<number>();
  const add = (c: number) => {
    if (c <= MAX_CODEPOINT && (c < 0xd800 || c > 0xdfff)) out.add(c);
  };
  switch (cmap.readUInt16BE(o)) {
    case 4: {
      const segX2 = cmap.readUInt16BE(o + 6);
      const ends = o + 14;
      const starts = ends + segX2 + 2;
      const deltas = starts + segX2;
      const rangeOffsets = deltas + segX2;
      for (let i = 0; i < segX2 / 2; i++) {
        const end = cmap.readUInt16BE(ends + 2 * i);
        const start = cmap.readUInt16BE(starts + 2 * i);
        const delta = cmap.readUInt16BE(deltas + 2 * i);
        const roAt = rangeOffsets + 2 * i;
        const ro = cmap.readUInt16BE(roAt);
        for (let c = start; c <= end && c !== 0xffff; c++) {
          let g: number;
          if (ro === 0) g = (c + delta) & 0xffff;
          else {
            const at = roAt + ro + 2 * (c - start);
            if (at + 2 > cmap.length) break;
            g = cmap.readUInt16BE(at);
            if (g !== 0) g = (g + delta) & 0xffff;
          }
          if (g !== 0) add(c);
        }
      }
      return out;
    }
    case 6: {
      const first = cmap.readUInt16BE(o + 6);
      const count = cmap.readUInt16BE(o + 8);
      for (let i = 0; i < count; i++) if (cmap.readUInt16BE(o + 10 + 2 * i) !== 0) add(first + i);
      return out;
    }
    case 12:
    case 13: {
      const many = cmap.readUInt16BE(o) === 13; // format 13: every code point of a group maps to the same glyph
      const groups = cmap.readUInt32BE(o + 12);
      if (o + 16 + groups * 12 > cmap.length) throw new FontError('the cmap table is truncated');
      // Overlapping groups could make a tiny file loop for a long time; no real font needs more than one pass over Unicode.
      let budget = 2 * (MAX_CODEPOINT + 1);
      for (let i = 0; i < groups; i++) {
        const g = o + 16 + i * 12;
        const start = cmap.readUInt32BE(g);
        const end = Math.min(cmap.readUInt32BE(g + 4), MAX_CODEPOINT);
        const glyph = cmap.readUInt32BE(g + 8);
        if (start > end) continue;
        budget -= end - start + 1;
        if (budget < 0) throw new FontError('the cmap table is implausibly large');
        for (let c = start; c <= end; c++) if (many ? glyph !== 0 : glyph + (c - start) !== 0) add(c);
      }
      return out;
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------

const BUNDLED_WEIGHTS = [400, 700];
let bundled: Set<number> | undefined;

function bundledFiles(): string[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@fontsource/noto-sans-jp/package.json')), 'files');
  const pattern = new RegExp(`^noto-sans-jp-[a-z0-9-]+-(?:${BUNDLED_WEIGHTS.join('|')})-normal\\.woff2$`);
  return readdirSync(dir).filter((f) => pattern.test(f)).sort().map((f) => join(dir, f));
}

/**
 * Everything the bundled Noto Sans JP (400 and 700, all unicode-range subsets)
 * can draw. Parsed once per process (~0.2 s for the 250 files) and kept.
 */
export function bundledCoverage(): Set<number> {
  if (bundled) return bundled;
  const files = bundledFiles();
  if (files.length === 0) throw new Error('@fontsource/noto-sans-jp has no 400/700 woff2 files');
  const set = new Set<number>();
  for (const f of files) for (const c of fontCodepoints(readFileSync(f))) set.add(c);
  bundled = set;
  return set;
}

// Where the canvas (Skia) finds the fonts it falls back to when neither a
// template's font nor Noto Sans JP has a glyph (e.g. DejaVu's Greek Ω).
const SYSTEM_FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', join(homedir(), '.local/share/fonts'), join(homedir(), '.fonts')];
const SYSTEM_FONT_FILE = /\.(?:ttf|otf|ttc|woff2?)$/i;
const MAX_SYSTEM_FONTS = 500;
let system: Set<number> | undefined;

/**
 * Everything this machine's own fonts can draw: the canvas falls back to them
 * glyph by glyph, so a character one of them has is drawn, never a box.
 * Parsed once per process; unreadable files are skipped.
 */
export function systemCoverage(): Set<number> {
  if (system) return system;
  const set = new Set<number>();
  let files = 0;
  for (const dir of SYSTEM_FONT_DIRS) {
    let names: string[];
    try {
      names = readdirSync(dir, { recursive: true }).map(String);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!SYSTEM_FONT_FILE.test(name) || ++files > MAX_SYSTEM_FONTS) continue;
      try {
        for (const c of fontCodepoints(readFileSync(join(dir, name)))) set.add(c);
      } catch {
        // not a font we can read: the canvas most likely cannot either
      }
    }
  }
  system = set;
  return set;
}

/** What any text can draw whatever its style: the bundled Noto Sans JP and this machine's fonts. */
export function fallbackCoverage(): Set<number> {
  return new Set([...bundledCoverage(), ...systemCoverage()]);
}

// Not drawn, so never "missing": whitespace, controls, and default-ignorable
// code points (variation selectors, ZWJ/ZWNJ, tag characters, soft hyphen…).
// A renderer that lacks a variation sequence draws the base character, so a
// selector only matters through its base.
const IGNORABLE = /^[\s\p{Cc}\p{Default_Ignorable_Code_Point}]$/u;

/** Whitespace, controls and default-ignorables: never drawn, so never missing. */
export function isIgnorable(ch: string): boolean {
  return IGNORABLE.test(ch);
}

/**
 * The code points of `text` that no set in `coverage` can draw, unique, in
 * order. One Set lookup per code point (the regex only for misses), for the
 * render accept path.
 */
export function missingCodepoints(text: string, coverage: ReadonlySet<number>): number[] {
  let missing: number[] | undefined;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (coverage.has(cp) || IGNORABLE.test(ch)) continue;
    if (!(missing ??= []).includes(cp)) missing.push(cp);
  }
  return missing ?? [];
}
const segmenter = new Intl.Segmenter('ja', { granularity: 'grapheme' });

/**
 * The user-perceived characters of `text` that `coverage` cannot draw, unique
 * and in order of first appearance. A character is a grapheme cluster, so an
 * emoji ZWJ sequence, a flag or a keycap is reported whole ('👨‍👩‍👧', not its parts).
 */
export function missingChars(text: string, coverage: ReadonlySet<number>): string[] {
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const { segment } of segmenter.segment(text)) {
    if (seen.has(segment)) continue;
    seen.add(segment);
    let lacks = false;
    for (const ch of segment) {
      if (IGNORABLE.test(ch)) continue;
      if (!coverage.has(ch.codePointAt(0)!)) {
        lacks = true;
        break;
      }
    }
    if (lacks) missing.push(segment);
  }
  return missing;
}
