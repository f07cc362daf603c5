// Text preparation and Japanese line breaking for overlays. Pure functions:
// widths come from the caller so this file needs no canvas.

const graphemeSegmenter = new Intl.Segmenter('ja', { granularity: 'grapheme' });

// Text where every UTF-16 unit is a grapheme on its own: Latin, kana (without
// combining voiced marks), kanji, full-width forms. Intl.Segmenter costs ~5 µs
// per grapheme, which adds up for long personalized strings.
const ONE_UNIT_GRAPHEMES = /^[\u0020-\u02ff\u3000-\u3098\u309b-\u9fff\uff00-\uff9d\uffa0-\uffef\n]*$/;

/** User-perceived characters, so emoji sequences and combining marks are never split. */
export function graphemes(s: string): string[] {
  if (ONE_UNIT_GRAPHEMES.test(s)) return s.split('');
  const out: string[] = [];
  for (const { segment } of graphemeSegmenter.segment(s)) out.push(segment);
  return out;
}

// Bidirectional and other invisible format controls: a leading U+202E makes
// "¥12,000" draw as "000,21¥". Stripped, not refused (names pasted from other
// systems often carry an LRM): from data when a render is accepted, and again
// before drawing, for text that did not come through data validation.
const FORMAT_CONTROLS = /[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/g;

export function stripFormatControls(s: string): string {
  return s.replace(FORMAT_CONTROLS, '');
}

/**
 * Makes any string drawable: line separators become '\n' (or spaces when
 * `keepNewlines` is false), tabs become spaces, and C0/C1 controls, bidi and
 * other format controls, and lone surrogates are removed, since Skia draws
 * them as visible boxes or lets them reorder the line.
 */
export function sanitizeText(text: string, keepNewlines: boolean): string {
  const s = stripFormatControls(String(text ?? ''))
    .replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n')
    .replace(/\t/g, ' ')
    // In a /u regex a surrogate class only matches unpaired halves.
    .replace(/[\uD800-\uDFFF]/gu, '')
    .replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '');
  return keepNewlines ? s : s.replace(/\n/g, ' ');
}

// 行頭禁則: may not begin a line (closing brackets, stops, small kana, prolonged sound mark…).
const NO_START = new Set(
  Array.from(
    '、。，．,.・：；？！?!:;‼⁇⁈⁉)）]］}｝〕〉》」』】〙〗〟’”｠»' +
      'ゝゞヽヾー〜～ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻' +
      '‐゠–—…‥%％℃°′″',
  ),
);
// 行末禁則: may not end a line (opening brackets and quotes, prefixed currency signs).
const NO_END = new Set(Array.from('(（[［{｛〔〈《「『【〘〖〝‘“｟«￥＄＃'));

const WHITESPACE = new Set([' ', '\u3000']);

function firstChar(g: string): string {
  return String.fromCodePoint(g.codePointAt(0) ?? 0);
}

export function isSpace(g: string): boolean {
  return WHITESPACE.has(g);
}

export function noStart(g: string): boolean {
  return NO_START.has(firstChar(g));
}

export function noEnd(g: string): boolean {
  return NO_END.has(firstChar(g));
}

const EMOJI = /\p{Extended_Pictographic}/u;

/** Scripts that break between any two characters (CJK, kana, Hangul, full-width forms, emoji). */
function breaksAnywhere(g: string): boolean {
  const cp = g.codePointAt(0) ?? 0;
  return (
    (cp >= 0x1100 && cp <= 0x11ff) ||
    (cp >= 0x2e80 && cp <= 0x9fff) ||
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xac00 && cp <= 0xd7af) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xffef) ||
    (cp >= 0x20000 && cp <= 0x3ffff) ||
    EMOJI.test(g)
  );
}

/**
 * True for a single code point that Noto Sans JP draws exactly 1em wide (kana,
 * kanji, CJK punctuation, full-width forms). Measuring each distinct character
 * costs a native call that grows with the number of registered font files, so
 * these are known without asking.
 */
export function isFullWidth(g: string): boolean {
  const cp = g.codePointAt(0) ?? 0;
  if (g.length !== (cp > 0xffff ? 2 : 1)) return false;
  return (
    (cp >= 0x3000 && cp <= 0x30ff) ||
    (cp >= 0x31f0 && cp <= 0x31ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xff01 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3ffff)
  );
}

/**
 * Whether a line may end before gs[i] (trailing spaces hang and are dropped)
 * with the next line starting at gs[i].
 */
export function canBreakBefore(gs: readonly string[], i: number): boolean {
  const b = gs[i];
  if (b === undefined || isSpace(b) || noStart(b)) return false;
  let p = i - 1;
  while (p >= 0 && isSpace(gs[p]!)) p--;
  const a = gs[p];
  if (a === undefined || noEnd(a)) return false;
  if (p < i - 1) return true; // a space between them
  // Latin words, numbers and amounts like '¥12,000' stay whole.
  return breaksAnywhere(a) || breaksAnywhere(b);
}

/**
 * At most `max` graphemes of s, reading no more than a bounded prefix of it.
 * `capped` says whether anything was left out.
 */
export function graphemesUpTo(s: string, max: number): { gs: string[]; capped: boolean } {
  // Long graphemes (emoji families, stacked marks) are rare; 8 units each is plenty.
  const units = Math.max(16, max * 8);
  const cut = s.length > units;
  let gs = graphemes(cut ? s.slice(0, units) : s);
  // The slice may have split the last grapheme; never show a broken one.
  if (cut) gs = gs.slice(0, Math.max(0, gs.length - 1));
  if (gs.length > max) return { gs: gs.slice(0, max), capped: true };
  return { gs, capped: cut };
}

export interface BrokenLines {
  lines: string[][];
  /** false when maxLines was reached with text left over. */
  complete: boolean;
}

/**
 * Greedy line breaking with kinsoku. `width(g)` is a grapheme's advance; a line
 * holds at most `limit`. When no legal break exists (one long word) the line is
 * cut where it overflows, still avoiding a forbidden character at a line start
 * where possible.
 */
export function breakLines(
  paragraphs: readonly (readonly string[])[],
  width: (g: string) => number,
  limit: number,
  maxLines: number,
): BrokenLines {
  const lines: string[][] = [];
  for (const para of paragraphs) {
    const n = para.length;
    if (n === 0) {
      if (lines.length >= maxLines) return { lines, complete: false };
      lines.push([]);
      continue;
    }
    const cum = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) cum[i + 1] = cum[i]! + width(para[i]!);
    let s = 0;
    while (s < n) {
      while (s < n && isSpace(para[s]!)) s++;
      if (s >= n) break;
      if (lines.length >= maxLines) return { lines, complete: false };
      let e = s;
      while (e < n && cum[e + 1]! - cum[s]! <= limit) e++;
      // Spaces after the last fitting character hang past the limit.
      let j = e;
      while (j < n && isSpace(para[j]!)) j++;
      let brk: number;
      if (j >= n) brk = n;
      else {
        brk = -1;
        for (let b = j; b > s; b--) {
          if (canBreakBefore(para, b)) {
            brk = b;
            break;
          }
        }
        if (brk < 0) {
          for (let b = e; b > s; b--) {
            if (!noStart(para[b]!) && !noEnd(para[b - 1]!)) {
              brk = b;
              break;
            }
          }
        }
        if (brk < 0) brk = Math.max(e, s + 1);
      }
      let end = brk;
      while (end > s && isSpace(para[end - 1]!)) end--;
      lines.push(para.slice(s, end));
      s = brk;
    }
  }
  return { lines, complete: true };
}
