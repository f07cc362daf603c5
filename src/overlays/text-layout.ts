// Draws one text layer into a transparent PNG the size of its box, for ffmpeg
// to overlay. Layout (shrink / wrap / truncate) lives in measureFit so that
// template validation reports exactly what drawing will do.
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { DEFAULT_FONT_FAMILY, ensureFonts } from './fonts.ts';
import { breakLines, graphemes, graphemesUpTo, isFullWidth, isSpace, noEnd, sanitizeText } from './linebreak.ts';
import type { TextLayer } from './types.ts';

export interface DrawnOverlay { layerId: string; png: Buffer; width: number; height: number; x: number; y: number }

export interface FitResult { fits: boolean; fontSize: number; lines: string[]; truncated: boolean }

const ELLIPSIS = '…';
const GENERIC_FAMILIES = new Set(['serif', 'sans-serif', 'monospace', 'cursive', 'fantasy', 'system-ui']);
// Fraction of an em a grapheme is assumed to take at least; bounds how much of
// a huge input can possibly be visible, so 10,000 characters cost no more than a box-full.
const MIN_GRAPHEME_EM = 0.1;
const MAX_NEW_MEASUREMENTS = 512;

interface Rect { x: number; y: number; w: number; h: number }

interface Resolved {
  width: number;
  height: number;
  inner: Rect;
  fontCss: string; // everything in ctx.font except the size
  maxSize: number;
  minSize: number;
  lineHeight: number;
  align: 'left' | 'center' | 'right';
  valign: 'top' | 'middle' | 'bottom';
  wrap: boolean;
}

/** A finite number from loosely typed JSON, else the fallback. */
export function finite(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function fontFamilies(family: unknown): string {
  const names = typeof family === 'string' ? family.split(',').map((f) => f.trim().replace(/^["']|["']$/g, '').replace(/["\\]/g, '')) : [];
  // Always fall back to Noto Sans JP so a Latin-only family still draws Japanese.
  if (!names.includes(DEFAULT_FONT_FAMILY)) names.push(DEFAULT_FONT_FAMILY);
  return names
    .filter((n) => n !== '')
    .map((n) => (GENERIC_FAMILIES.has(n.toLowerCase()) ? n : `"${n}"`))
    .join(', ');
}

function resolve(layer: TextLayer): Resolved {
  const style = layer.style ?? ({} as TextLayer['style']);
  const width = Math.max(1, Math.round(finite(layer.box?.width, 1)));
  const height = Math.max(1, Math.round(finite(layer.box?.height, 1)));
  const maxSize = Math.min(2000, Math.max(1, finite(style.fontSize, 48)));
  const minSize = Math.min(maxSize, Math.max(1, finite(style.minFontSize, Math.max(12, maxSize * 0.5))));
  // Only 400 and 700 are registered; anything else from loosely typed JSON goes to the nearer one.
  const weight = finite(style.fontWeight, 700) < 550 ? 400 : 700;

  // Keep stroke, shadow and the card's padding inside the canvas: text is laid
  // out in what is left, so nothing gets cut off at the PNG's edge.
  const pad = style.background ? Math.max(0, finite(style.background.padding, Math.round(maxSize * 0.25))) : 0;
  const stroke = style.stroke ? Math.max(0, finite(style.stroke.width, 0)) : 0;
  let [l, r, t, b] = [0, 0, 0, 0];
  if (style.shadow) {
    const blur = Math.max(0, finite(style.shadow.blur, 0));
    const ox = finite(style.shadow.offsetX, 0);
    const oy = finite(style.shadow.offsetY, 0);
    [l, r, t, b] = [Math.max(0, blur - ox), Math.max(0, blur + ox), Math.max(0, blur - oy), Math.max(0, blur + oy)];
  }
  const x = pad + stroke + l;
  const y = pad + stroke + t;
  const inner = { x, y, w: Math.max(0, width - x - pad - stroke - r), h: Math.max(0, height - y - pad - stroke - b) };

  const align = style.align === 'left' || style.align === 'right' ? style.align : 'center';
  const valign = style.valign === 'top' || style.valign === 'bottom' ? style.valign : 'middle';
  const lineHeight = Math.max(0.5, finite(style.lineHeight, 1.3));
  return { width, height, inner, fontCss: `${weight} {size}px ${fontFamilies(style.fontFamily)}`, maxSize, minSize, lineHeight, align, valign, wrap: layer.fit === 'wrap' };
}

// ---------------------------------------------------------------- measuring

interface LineMetrics {
  width: number; // advance
  inkLeft: number; // extent relative to the pen position (≤ 0 when ink starts left of it)
  inkRight: number;
  ascent: number; // max of em box and ink above the baseline
  descent: number;
  emAscent: number;
  emDescent: number;
}

let measureCtx: SKRSContext2D | undefined;
function context(): SKRSContext2D {
  measureCtx ??= createCanvas(1, 1).getContext('2d');
  return measureCtx;
}

function fontAt(R: Resolved, size: number): string {
  return R.fontCss.replace('{size}', String(Math.round(size * 100) / 100));
}

function measureLine(ctx: SKRSContext2D, text: string): LineMetrics {
  const m = ctx.measureText(text);
  const emAscent = finite(m.emHeightAscent, 0);
  const emDescent = finite(m.emHeightDescent, 0);
  return {
    width: finite(m.width, 0),
    inkLeft: Math.min(0, -finite(m.actualBoundingBoxLeft, 0)),
    inkRight: Math.max(finite(m.width, 0), finite(m.actualBoundingBoxRight, 0)),
    ascent: Math.max(emAscent, finite(m.actualBoundingBoxAscent, 0)),
    descent: Math.max(emDescent, finite(m.actualBoundingBoxDescent, 0)),
    emAscent,
    emDescent,
  };
}

// Advance per 1px of font size, per font and grapheme. Skia's advances are
// unhinted (fractional), so they scale with the size and one measurement serves all sizes.
const advanceCache = new Map<string, Map<string, number>>();

class Advances {
  private readonly cache: Map<string, number>;
  private fresh = 0;
  constructor(private readonly R: Resolved) {
    let c = advanceCache.get(R.fontCss);
    if (!c) advanceCache.set(R.fontCss, (c = new Map()));
    if (c.size > 20000) c.clear();
    this.cache = c;
  }
  /** Estimated advance of g at 1px. */
  of(g: string): number {
    const hit = this.cache.get(g);
    if (hit !== undefined) return hit;
    // Everything not measured is taken as 1em; the real measurement of each final line corrects it.
    if (isFullWidth(g) || this.fresh >= MAX_NEW_MEASUREMENTS) return 1;
    this.fresh++;
    const ctx = context();
    ctx.font = fontAt(this.R, 100);
    const w = finite(ctx.measureText(g).width, 100) / 100;
    this.cache.set(g, w);
    return w;
  }
}

interface Layout {
  fontSize: number;
  lines: string[];
  metrics: LineMetrics[];
  truncated: boolean;
  fitsWidth: boolean;
  fitsHeight: boolean;
}

function blockExtent(metrics: LineMetrics[], size: number, lineHeight: number): { top: number; bottom: number; emTop: number; emBottom: number } {
  // Relative to the first baseline. Lines are placed by their em boxes; ink
  // (Latin descenders, accents) only counts when it sticks out of them.
  const adv = size * lineHeight;
  let top = 0;
  let bottom = 0;
  metrics.forEach((m, i) => {
    top = Math.min(top, i * adv - m.ascent);
    bottom = Math.max(bottom, i * adv + m.descent);
  });
  const first = metrics[0];
  const last = metrics[metrics.length - 1];
  return {
    top,
    bottom,
    emTop: -(first?.emAscent ?? 0),
    emBottom: (metrics.length - 1) * adv + (last?.emDescent ?? 0),
  };
}

const EPS = 0.01;

function measureLines(R: Resolved, size: number, lines: string[], truncated: boolean): Layout {
  const ctx = context();
  ctx.font = fontAt(R, size);
  const metrics = lines.map((l) => measureLine(ctx, l));
  const widest = Math.max(0, ...metrics.map((m) => m.inkRight - m.inkLeft));
  const ext = blockExtent(metrics, size, R.lineHeight);
  return {
    fontSize: size,
    lines,
    metrics,
    truncated,
    fitsWidth: widest <= R.inner.w + EPS,
    fitsHeight: lines.length === 0 || ext.bottom - ext.top <= R.inner.h + EPS,
  };
}

/** Cuts graphemes off the end of a line until line + '…' fits the width. */
function truncateLine(R: Resolved, adv: Advances, size: number, gs: string[]): string {
  const limit = R.inner.w;
  const ell = adv.of(ELLIPSIS) * size;
  let k = 0;
  let w = ell;
  while (k < gs.length && w + adv.of(gs[k]!) * size <= limit) w += adv.of(gs[k++]!) * size;
  const ctx = context();
  ctx.font = fontAt(R, size);
  for (;;) {
    let end = k;
    // "お客様、…" or "「…" reads badly; drop trailing spaces and opening brackets too.
    while (end > 0 && (isSpace(gs[end - 1]!) || noEnd(gs[end - 1]!))) end--;
    const candidate = gs.slice(0, end).join('') + ELLIPSIS;
    const m = measureLine(ctx, candidate);
    if (m.inkRight - m.inkLeft <= limit + EPS) return candidate;
    if (end === 0) return '';
    k = end - 1;
  }
}

function sizeLadder(R: Resolved): number[] {
  // Whole pixels between max and min (plus both ends) keep results stable and cheap.
  const sizes = [R.maxSize];
  for (let s = Math.ceil(R.maxSize) - 1; s > R.minSize; s--) sizes.push(s);
  if (R.minSize < R.maxSize) sizes.push(R.minSize);
  return sizes;
}

function fitShrink(R: Resolved, text: string): Layout {
  const { gs, capped } = graphemesUpTo(text.trim(), Math.ceil(R.inner.w / (R.minSize * MIN_GRAPHEME_EM)) + 2);
  if (gs.length === 0) return measureLines(R, R.maxSize, [], false);
  const line = gs.join('');
  const adv = new Advances(R);

  if (!capped) {
    const ladder = sizeLadder(R);
    // Advances scale with the size, so the first real measurement predicts the
    // right size; walk down from there in case of rounding or height limits.
    const first = measureLines(R, R.maxSize, [line], false);
    if (first.fitsWidth && first.fitsHeight) return first;
    const m = first.metrics[0]!;
    const ext = blockExtent(first.metrics, R.maxSize, R.lineHeight);
    const ratio = Math.min(R.inner.w / Math.max(EPS, m.inkRight - m.inkLeft), R.inner.h / Math.max(EPS, ext.bottom - ext.top));
    const guess = R.maxSize * ratio;
    let i = ladder.findIndex((s) => s <= guess);
    if (i < 0) i = ladder.length - 1;
    for (let tries = 0; i < ladder.length && tries < 8; i++, tries++) {
      const l = measureLines(R, ladder[i]!, [line], false);
      if (l.fitsWidth && l.fitsHeight) return l;
    }
  }
  const size = R.minSize;
  const atMin = measureLines(R, size, [line], false);
  if (atMin.fitsWidth && !capped) return atMin; // too short a box: nothing more to do
  const cut = truncateLine(R, adv, size, gs);
  return measureLines(R, size, cut ? [cut] : [], true);
}

function fitWrap(R: Resolved, text: string): Layout {
  // Never lay out more than could be visible at the smallest size.
  const perLine = Math.ceil(R.inner.w / (R.minSize * MIN_GRAPHEME_EM)) + 2;
  const maxLinesAtMin = Math.max(1, Math.floor((R.inner.h - R.minSize) / (R.minSize * R.lineHeight)) + 1);
  const { gs, capped } = graphemesUpTo(text.replace(/^\s+|\s+$/g, ''), perLine * maxLinesAtMin + maxLinesAtMin);
  if (gs.length === 0) return measureLines(R, R.maxSize, [], false);
  const paragraphs: string[][] = [[]];
  for (const g of gs) {
    if (g === '\n') paragraphs.push([]);
    else paragraphs[paragraphs.length - 1]!.push(g);
  }
  const adv = new Advances(R);

  const maxLinesAt = (size: number) => Math.max(1, Math.floor((R.inner.h - size + EPS) / (size * R.lineHeight)) + 1);
  const tryAt = (size: number, limit: number): { lines: string[][]; complete: boolean } =>
    breakLines(paragraphs, (g) => adv.of(g) * size, limit, maxLinesAt(size));

  // Estimated widths decide the size (cheap); real measurements then confirm.
  const ladder = sizeLadder(R);
  const estFits = (size: number) => {
    const r = tryAt(size, R.inner.w);
    return r.complete && (r.lines.length - 1) * size * R.lineHeight + size <= R.inner.h + EPS;
  };
  let lo = 0;
  let hi = ladder.length; // first index (largest size) that fits, by estimate
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (estFits(ladder[mid]!)) hi = mid;
    else lo = mid + 1;
  }

  if (!capped) {
    for (let i = lo; i < ladder.length && i < lo + 4; i++) {
      const size = ladder[i]!;
      let limit = R.inner.w;
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = tryAt(size, limit);
        if (!r.complete) break;
        const l = measureLines(R, size, r.lines.map((g) => g.join('')), false);
        if (l.fitsHeight && l.fitsWidth) return l;
        if (l.fitsWidth) break;
        // Kerning or a fallback font made a line wider than estimated: break tighter.
        const widest = Math.max(...l.metrics.map((m) => m.inkRight - m.inkLeft));
        limit *= (R.inner.w / widest) * 0.995;
      }
    }
  }

  // Nothing fits: smallest size, as many lines as the box holds, the last one cut with '…'.
  const size = R.minSize;
  const r = tryAt(size, R.inner.w);
  const lines = r.lines.map((g) => g.join(''));
  const truncated = !r.complete || capped;
  if (truncated && r.lines.length > 0) lines[lines.length - 1] = truncateLine(R, adv, size, r.lines[r.lines.length - 1]!);
  let l = measureLines(R, size, lines, truncated);
  if (!l.fitsWidth) {
    // A single grapheme wider than the box, or estimates far off: cut each offending line.
    const fixed = l.lines.map((line, i) => (l.metrics[i]!.inkRight - l.metrics[i]!.inkLeft > R.inner.w + EPS ? truncateLine(R, adv, size, graphemes(line.replace(/…$/, ''))) : line));
    const changed = fixed.some((f, i) => f !== l.lines[i]);
    l = measureLines(R, size, fixed, truncated || changed);
  }
  // A box too small for even '…' leaves empty lines; report them as nothing drawn.
  if (l.lines.every((line) => line === '')) l = measureLines(R, size, [], l.truncated);
  return l;
}

function layout(layer: TextLayer, text: string): { R: Resolved; L: Layout } {
  ensureFonts();
  const R = resolve(layer);
  const clean = sanitizeText(typeof text === 'string' ? text : String(text ?? ''), R.wrap);
  const L = R.wrap ? fitWrap(R, clean) : fitShrink(R, clean);
  return { R, L };
}

/** How `text` will be laid out in the layer's box; `fits` is false when it had to be cut or still overflows. */
export function measureFit(layer: TextLayer, text: string): FitResult {
  const { L } = layout(layer, text);
  const fits = !L.truncated && L.fitsWidth && L.fitsHeight;
  return { fits, fontSize: L.fontSize, lines: L.lines, truncated: L.truncated };
}

// ---------------------------------------------------------------- drawing

function place(R: Resolved, L: Layout): { x: number; y: number }[] {
  const { inner } = R;
  const size = L.fontSize;
  const adv = size * R.lineHeight;
  const ext = blockExtent(L.metrics, size, R.lineHeight);
  // Position by the em box so the baseline does not jump between viewers whose
  // names have or lack descenders; shift only if ink would leave the area.
  const emHeight = ext.emBottom - ext.emTop;
  let base =
    R.valign === 'top' ? inner.y - ext.emTop : R.valign === 'bottom' ? inner.y + inner.h - ext.emBottom : inner.y + (inner.h - emHeight) / 2 - ext.emTop;
  if (base + ext.bottom > inner.y + inner.h) base = inner.y + inner.h - ext.bottom;
  if (base + ext.top < inner.y) base = inner.y - ext.top;
  return L.metrics.map((m, i) => {
    let x = R.align === 'left' ? inner.x : R.align === 'right' ? inner.x + inner.w - m.width : inner.x + (inner.w - m.width) / 2;
    if (x + m.inkRight > inner.x + inner.w) x = inner.x + inner.w - m.inkRight;
    if (x + m.inkLeft < inner.x) x = inner.x - m.inkLeft;
    return { x, y: base + i * adv };
  });
}

function color(v: unknown, fallback: string): string {
  return typeof v === 'string' && v.trim() !== '' ? v : fallback;
}

/** Draws the layer's (already resolved) text into a transparent PNG of exactly the box size. */
export function drawTextLayer(layer: TextLayer, text: string): DrawnOverlay {
  const { R, L } = layout(layer, text);
  const style = layer.style ?? ({} as TextLayer['style']);
  const canvas = createCanvas(R.width, R.height);
  const ctx = canvas.getContext('2d');
  const visible = L.lines.some((l) => l.trim() !== '');

  // An empty personalized field leaves no empty card behind on the video.
  if (visible && style.background) {
    const radius = Math.max(0, finite(style.background.radius, Math.min(R.width / 2, R.height / 2, R.maxSize * 0.5)));
    ctx.fillStyle = color(style.background.color, 'rgba(0,0,0,0.5)');
    ctx.beginPath();
    ctx.roundRect(0, 0, R.width, R.height, Math.min(radius, R.width / 2, R.height / 2));
    ctx.fill();
  }

  if (visible) {
    ctx.font = fontAt(R, L.fontSize);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    const stroke = style.stroke && finite(style.stroke.width, 0) > 0 ? style.stroke : undefined;
    const shadow = style.shadow;
    const setShadow = (on: boolean) => {
      ctx.shadowColor = on && shadow ? color(shadow.color, 'rgba(0,0,0,0.6)') : 'rgba(0,0,0,0)';
      ctx.shadowBlur = on && shadow ? Math.max(0, finite(shadow.blur, 0)) : 0;
      ctx.shadowOffsetX = on && shadow ? finite(shadow.offsetX, 0) : 0;
      ctx.shadowOffsetY = on && shadow ? finite(shadow.offsetY, 0) : 0;
    };
    const positions = place(R, L);
    L.lines.forEach((line, i) => {
      const p = positions[i]!;
      if (stroke) {
        // stroke.width is the outline outside the glyph (like ffmpeg's borderw):
        // the path is stroked twice as wide and the fill covers the inner half.
        // Round joins keep sharp kanji corners from spiking out.
        setShadow(true);
        ctx.lineJoin = 'round';
        ctx.lineWidth = finite(stroke.width, 0) * 2;
        ctx.strokeStyle = color(stroke.color, '#000000');
        ctx.strokeText(line, p.x, p.y);
        setShadow(false);
      } else setShadow(true);
      ctx.fillStyle = color(style.color, '#ffffff');
      ctx.fillText(line, p.x, p.y);
      setShadow(false);
    });
  }

  return overlayOf(layer, canvas);
}

/** A drawn layer: its PNG, size and where it goes on the frame. */
export function overlayOf(layer: Pick<TextLayer, 'id' | 'box'>, canvas: Canvas): DrawnOverlay {
  return {
    layerId: layer.id,
    png: canvas.toBuffer('image/png'),
    width: canvas.width,
    height: canvas.height,
    x: Math.round(finite(layer.box?.x, 0)),
    y: Math.round(finite(layer.box?.y, 0)),
  };
}
