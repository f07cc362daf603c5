// Bar and line charts from numeric array fields (e.g. monthly bills before and
// after switching). Everything drawn comes from chartInputs, so the content
// key covers exactly the numbers, labels and title on screen.
import { type SKRSContext2D } from '@napi-rs/canvas';
import { DEFAULT_FONT_FAMILY, ensureFonts } from './fonts.ts';
import { graphemesUpTo, sanitizeText } from './linebreak.ts';
import { formatYen, renderText, toNumber } from './handlebars.ts';
import { clamp, colorOr, drawingOf, drawTextIn, layerCanvas, type Rect } from './image.ts';
import { finite } from './text-layout.ts';
import type { ChartLayer, TextStyle } from './types.ts';
import type { LayerDrawing } from './draw-layer.ts';

// A chart wider than this many points would be unreadable at video sizes.
const MAX_POINTS = 60;
const LABEL_MAX_GRAPHEMES = 24;

export interface ChartInputs {
  title: string;
  labels: string[];
  series: Array<{ label: string; color: string; values: Array<number | null> }>;
}

function clipLabel(v: unknown): string {
  const s = typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
  return graphemesUpTo(sanitizeText(s, false).trim(), LABEL_MAX_GRAPHEMES).gs.join('');
}

/** The numbers, labels and title the chart draws, and what was skipped (indexes only, no values). */
export function resolveChart(layer: ChartLayer, data: Record<string, unknown>): { inputs: ChartInputs; warnings: string[] } {
  const warnings: string[] = [];
  const series = (Array.isArray(layer.series) ? layer.series : []).map((s, k) => {
    const raw = data?.[s.field];
    const values: Array<number | null> = [];
    if (raw !== undefined && raw !== null && !Array.isArray(raw)) warnings.push(`chart series ${k + 1} skipped: not a list`);
    else if (Array.isArray(raw)) {
      let bad = 0;
      for (let i = 0; i < Math.min(raw.length, MAX_POINTS); i++) {
        const n = toNumber(raw[i]);
        if (n === undefined) bad++;
        values.push(n ?? null);
      }
      if (bad) warnings.push(`chart series ${k + 1}: ${bad} value(s) skipped: not a number`);
      if (raw.length > MAX_POINTS) warnings.push(`chart series ${k + 1}: only the first ${MAX_POINTS} values are drawn`);
    }
    return { label: clipLabel(s.label ?? ''), color: colorOr(s.color, '#ffffff'), values };
  });
  let count = Math.max(0, ...series.map((s) => s.values.length));
  // Trailing positions where no series has a value are not drawn at all.
  while (count > 0 && series.every((s) => s.values[count - 1] === null || s.values[count - 1] === undefined)) count--;
  for (const s of series) {
    s.values = s.values.slice(0, count);
    while (s.values.length < count) s.values.push(null);
  }
  let rawLabels: unknown = layer.labels;
  if (rawLabels === undefined && typeof layer.labelsField === 'string') {
    rawLabels = data?.[layer.labelsField];
    if (rawLabels !== undefined && rawLabels !== null && !Array.isArray(rawLabels)) warnings.push('chart labels skipped: not a list');
  }
  const labelList = Array.isArray(rawLabels) ? rawLabels : [];
  const labels = Array.from({ length: count }, (_, i) => clipLabel(labelList[i]));
  const title = count > 0 && typeof layer.title === 'string' ? sanitizeText(renderText(layer.title, data), false).trim() : '';
  if (count === 0) warnings.push('chart: no values to draw');
  return { inputs: { title, labels, series }, warnings };
}

export function chartLayerInputs(layer: ChartLayer, data: Record<string, unknown>): ChartInputs {
  return resolveChart(layer, data).inputs;
}

// ---------------------------------------------------------------- formatting

type Format = 'yen' | 'number' | 'percent';
const numberFormat = new Intl.NumberFormat('ja-JP');
const compactFormat = new Intl.NumberFormat('ja-JP', { maximumFractionDigits: 1 });
const wholeFormat = new Intl.NumberFormat('ja-JP', { maximumFractionDigits: 0 });

/** yen: ¥12,000 (compact ¥1.2万); number: 12,000 (1.2万); percent: 0.125 → 12.5% (compact 13%), as the percent helper. */
function formatValue(v: number, format: Format, compact: boolean): string {
  if (format === 'percent') return `${(compact ? wholeFormat : compactFormat).format(v * 100)}%`;
  let s: string;
  const a = Math.abs(v);
  // Japanese units: 万 (10^4), 億 (10^8), 兆 (10^12); ¥12,000 → ¥1.2万.
  if (compact && a >= 1e4) {
    const [div, unit] = a >= 1e12 ? [1e12, '兆'] : a >= 1e8 ? [1e8, '億'] : [1e4, '万'];
    s = `${compactFormat.format(a / div)}${unit}`;
  } else if (format === 'yen') return formatYen(v); // exactly what the yen helper writes
  else s = numberFormat.format(compact ? Math.round(a) : a);
  const sign = v < 0 ? '-' : '';
  return format === 'yen' ? `${sign}¥${s}` : `${sign}${s}`;
}

/** Round tick step (1, 2, 2.5, 5 × 10^k) giving about `target` intervals over span. */
function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

// ---------------------------------------------------------------- drawing

const fontCss = (size: number, weight = 700) => `${weight} ${Math.round(size * 100) / 100}px "${DEFAULT_FONT_FAMILY}"`;

function width(g: SKRSContext2D, text: string): number {
  return finite(g.measureText(text).width, 0);
}

export function drawChartLayer(layer: ChartLayer, data: Record<string, unknown>): Promise<LayerDrawing> {
  const { inputs, warnings } = resolveChart(layer, data);
  return drawChart(layer, inputs, warnings);
}

/** The layer's style with its defaults filled in. */
interface ChartStyle {
  fs: number;
  textColor: string;
  gridColor: string;
  format: Format;
  /** Number of series. */
  k: number;
  isBar: boolean;
  showValues: boolean;
  showLegend: boolean;
}

/** The space left for the chart; title and legend take rows off its top, x labels off its bottom. */
interface Area {
  top: number;
  left: number;
  right: number;
  bottom: number;
}

/** Where everything goes, worked out (by measuring text) before anything is plotted. */
interface ChartLayout {
  plot: Rect;
  lo: number;
  hi: number;
  /** Value → canvas y. */
  y: (v: number) => number;
  /** Width of one label's slot, and the centre of slot i. */
  slot: number;
  cx: (i: number) => number;
  /** Bars: width of one label's group, gap between its bars, width of a bar. */
  group: number;
  gapIn: number;
  bw: number;
  hasLabels: boolean;
  labelSize: number;
  valueSize: number;
  compact: boolean;
  valuesFit: boolean;
  valueRoom: number;
}

interface ValueLabel {
  text: string;
  x: number;
  y: number;
  above: boolean;
}

async function drawChart(layer: ChartLayer, inputs: ChartInputs, warnings: string[]): Promise<LayerDrawing> {
  ensureFonts();
  const { canvas, g, width: W, height: H } = layerCanvas(layer);
  const n = inputs.labels.length;
  const all = inputs.series.flatMap((s) => s.values).filter((v): v is number => v !== null);
  // Nothing to show: no card, no title, no axes.
  if (n === 0 || all.length === 0) return drawingOf(layer, canvas, warnings);

  const style = chartStyle(layer, inputs.series.length);
  const area = drawCard(g, layer.style ?? {}, style.fs, W, H);
  if (inputs.title) area.top += await drawTitle(g, inputs.title, area, style);
  if (style.showLegend) area.top += drawLegend(g, inputs.series, area, style);
  const layout = layoutChart(g, inputs.labels, all, area, style);
  if (!layout) {
    warnings.push('chart: the box is too small to draw');
    return drawingOf(layer, canvas, warnings);
  }
  drawGrid(g, layout, style);
  const valueLabels = style.isBar ? drawBars(g, inputs.series, layout, style) : drawLines(g, inputs.series, layout, style);
  if (valueLabels.length) drawValueLabels(g, valueLabels, layout.valueSize, style.textColor, W);
  if (layout.hasLabels) drawXLabels(g, inputs.labels, layout, style.textColor);
  return drawingOf(layer, canvas, warnings);
}

function chartStyle(layer: ChartLayer, k: number): ChartStyle {
  const st = layer.style ?? {};
  const isBar = layer.kind !== 'line';
  return {
    fs: clamp(finite(st.fontSize, 22), 8, 200),
    textColor: colorOr(st.textColor, '#ffffff'),
    gridColor: colorOr(st.gridColor, 'rgba(255,255,255,0.25)'),
    format: layer.valueFormat === 'yen' || layer.valueFormat === 'percent' ? layer.valueFormat : 'number',
    k,
    isBar,
    showValues: st.showValues ?? (isBar || k === 1),
    showLegend: st.legend ?? k > 1,
  };
}

/** The optional rounded background card; returns the area inside its padding. */
function drawCard(g: SKRSContext2D, st: NonNullable<ChartLayer['style']>, fs: number, W: number, H: number): Area {
  if (st.background) {
    g.fillStyle = colorOr(st.background, 'rgba(0,0,0,0.5)');
    g.beginPath();
    g.roundRect(0, 0, W, H, Math.min(Math.max(0, finite(st.radius, 16)), W / 2, H / 2));
    g.fill();
  }
  const pad = st.background ? Math.round(fs * 0.8) : Math.round(fs * 0.25);
  return { top: pad, left: pad, right: W - pad, bottom: H - pad };
}

/** The title row; returns the height it takes. */
async function drawTitle(g: SKRSContext2D, title: string, area: Area, style: ChartStyle): Promise<number> {
  const { fs } = style;
  const h = Math.round(fs * 1.6);
  const textStyle: TextStyle = { fontSize: fs, minFontSize: Math.max(8, fs * 0.6), color: style.textColor, fontWeight: 700, align: 'center' };
  await drawTextIn(g, { x: area.left, y: area.top, w: area.right - area.left, h }, title, textStyle);
  return h + Math.round(fs * 0.3);
}

/** One centred row of colour swatches with series names; returns the height it takes. */
function drawLegend(g: SKRSContext2D, series: ChartInputs['series'], area: Area, style: ChartStyle): number {
  const { fs } = style;
  const { top, left, right } = area;
  const h = Math.round(fs * 1.4);
  const sw = Math.round(fs * 0.8);
  g.font = fontCss(fs * 0.85, 400);
  const entries = series.map((s) => ({ ...s, w: sw + fs * 0.4 + width(g, s.label) }));
  const spacing = fs * 1.2;
  const total = entries.reduce((a, e) => a + e.w, 0) + spacing * (entries.length - 1);
  let x = left + Math.max(0, (right - left - total) / 2);
  g.textBaseline = 'middle';
  g.textAlign = 'left';
  for (const e of entries) {
    if (x + sw > right) break;
    g.fillStyle = e.color;
    g.beginPath();
    g.roundRect(x, top + (h - sw) / 2, sw, sw, sw * 0.2);
    g.fill();
    g.fillStyle = style.textColor;
    g.fillText(e.label, x + sw + fs * 0.4, top + h / 2, Math.max(1, right - x - sw - fs * 0.4));
    x += e.w + spacing;
  }
  return h + Math.round(fs * 0.3);
}

/** Label sizes, bar widths and the value scale; undefined when the plot would be too small. */
function layoutChart(g: SKRSContext2D, labels: string[], all: number[], area: Area, style: ChartStyle): ChartLayout | undefined {
  const { fs, k } = style;
  const { left, right } = area;
  // X labels along the bottom, shrunk (never below 60%) to fit their slots.
  const hasLabels = labels.some((l) => l !== '');
  const slot = (right - left) / labels.length;
  let labelSize = fs * 0.9;
  let bottom = area.bottom;
  if (hasLabels) {
    g.font = fontCss(labelSize, 400);
    const widest = Math.max(...labels.map((l) => width(g, l)));
    if (widest > slot * 0.95) labelSize = Math.max(fs * 0.6, (labelSize * slot * 0.95) / widest);
    bottom -= Math.round(labelSize * 1.6);
  }

  // Bars of one label side by side; k bars fill 80% of the slot (one bar 60%).
  const group = slot * (k > 1 ? 0.8 : 0.6);
  const gapIn = k > 1 ? Math.min(fs * 0.2, (group / k) * 0.15) : 0;
  const bw = Math.max(1, (group - gapIn * (k - 1)) / k);

  const room = style.isBar ? (k > 1 ? bw + gapIn * 0.8 : slot * 0.9) : slot * 0.95;
  const { valueSize, compact, valuesFit } = fitValues(g, all, room, style);
  const valueRoom = valuesFit ? Math.round(valueSize * 1.4) : 0;

  let lo = Math.min(0, ...all);
  let hi = Math.max(0, ...all);
  if (hi === lo) hi = lo + 1; // all zero: a flat baseline at the bottom
  const plot: Rect = { x: left, y: area.top + (hi > 0 ? valueRoom : 0), w: right - left, h: 0 };
  plot.h = bottom - (lo < 0 ? valueRoom : 0) - plot.y;
  if (plot.h < 4 || plot.w < 4) return undefined;
  const y = (v: number) => plot.y + ((hi - v) / (hi - lo)) * plot.h;
  const cx = (i: number) => plot.x + slot * (i + 0.5);
  return { plot, lo, hi, y, slot, cx, group, gapIn, bw, hasLabels, labelSize, valueSize, compact, valuesFit, valueRoom };
}

/** Value labels: full '¥12,000' when every one fits its room, else '¥1.2万', else smaller, else none. */
function fitValues(g: SKRSContext2D, all: number[], room: number, style: ChartStyle): { valueSize: number; compact: boolean; valuesFit: boolean } {
  const { fs, format, showValues } = style;
  let valueSize = fs * 0.85;
  let compact = false;
  let valuesFit = showValues;
  if (showValues) {
    const widest = (c: boolean, size: number) => {
      g.font = fontCss(size);
      return Math.max(...all.map((v) => width(g, formatValue(v, format, c))));
    };
    if (widest(false, valueSize) > room) {
      compact = true;
      if (widest(true, valueSize) > room) {
        valueSize = Math.max(fs * 0.6, (valueSize * room) / widest(true, valueSize));
        valuesFit = widest(true, valueSize) <= room;
      }
    }
  }
  return { valueSize, compact, valuesFit };
}

/** Light grid at round values, then the baseline. */
function drawGrid(g: SKRSContext2D, L: ChartLayout, style: ChartStyle): void {
  const { plot, lo, hi, y } = L;
  const { fs } = style;
  const baseline = Math.round(y(0)) + 0.5;
  const step = niceStep(hi - lo, Math.max(2, Math.min(5, Math.floor(plot.h / (fs * 2)))));
  g.strokeStyle = style.gridColor;
  g.lineWidth = 1;
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) {
    if (Math.abs(t) < step / 1e6) continue;
    const gy = Math.round(y(t)) + 0.5;
    g.beginPath();
    g.moveTo(plot.x, gy);
    g.lineTo(plot.x + plot.w, gy);
    g.stroke();
  }
  g.strokeStyle = style.textColor;
  g.lineWidth = Math.max(1, Math.round(fs * 0.08));
  g.beginPath();
  g.moveTo(plot.x, baseline);
  g.lineTo(plot.x + plot.w, baseline);
  g.stroke();
}

/** Grouped bars from the baseline; returns where their value labels go. */
function drawBars(g: SKRSContext2D, series: ChartInputs['series'], L: ChartLayout, style: ChartStyle): ValueLabel[] {
  const { y, cx, group, bw, gapIn } = L;
  const valueLabels: ValueLabel[] = [];
  series.forEach((s, j) => {
    g.fillStyle = s.color;
    s.values.forEach((v, i) => {
      if (v === null) return;
      const x = cx(i) - group / 2 + j * (bw + gapIn);
      const y0 = y(0);
      const y1 = y(v);
      const h = Math.abs(y1 - y0);
      const r = Math.min(bw / 4, style.fs * 0.3, h);
      g.beginPath();
      // Round only the end away from the baseline.
      if (v >= 0) g.roundRect(x, y1, bw, h, [r, r, 0, 0]);
      else g.roundRect(x, y0, bw, h, [0, 0, r, r]);
      g.fill();
      if (L.valuesFit) valueLabels.push({ text: formatValue(v, style.format, L.compact), x: x + bw / 2, y: y1, above: v >= 0 });
    });
  });
  return valueLabels;
}

/** One line with dots per series; returns where their value labels go. */
function drawLines(g: SKRSContext2D, series: ChartInputs['series'], L: ChartLayout, style: ChartStyle): ValueLabel[] {
  const { y, cx } = L;
  const valueLabels: ValueLabel[] = [];
  const lw = Math.max(2, Math.round(style.fs * 0.16));
  series.forEach((s) => {
    g.strokeStyle = s.color;
    g.fillStyle = s.color;
    g.lineWidth = lw;
    g.lineJoin = 'round';
    g.lineCap = 'round';
    // A missing value breaks the line instead of bridging it.
    g.beginPath();
    let open = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        open = false;
        return;
      }
      if (open) g.lineTo(cx(i), y(v));
      else g.moveTo(cx(i), y(v));
      open = true;
    });
    g.stroke();
    s.values.forEach((v, i) => {
      if (v === null) return;
      g.beginPath();
      g.arc(cx(i), y(v), lw * 1.4, 0, Math.PI * 2);
      g.fill();
      if (L.valuesFit) valueLabels.push({ text: formatValue(v, style.format, L.compact), x: cx(i), y: y(v) - lw, above: v >= 0 });
    });
  });
  return valueLabels;
}

/** Each value centred on its bar or point, kept inside the box. */
function drawValueLabels(g: SKRSContext2D, valueLabels: ValueLabel[], valueSize: number, textColor: string, W: number): void {
  g.font = fontCss(valueSize);
  g.fillStyle = textColor;
  g.textAlign = 'center';
  for (const l of valueLabels) {
    const w = width(g, l.text);
    const x = clamp(l.x, w / 2, W - w / 2);
    g.textBaseline = l.above ? 'alphabetic' : 'top';
    g.fillText(l.text, x, l.above ? l.y - valueSize * 0.3 : l.y + valueSize * 0.3);
  }
}

/** The x labels under the plot (below the room for negative values' labels). */
function drawXLabels(g: SKRSContext2D, labels: string[], L: ChartLayout, textColor: string): void {
  const { plot, labelSize } = L;
  g.font = fontCss(labelSize, 400);
  g.fillStyle = textColor;
  g.textAlign = 'center';
  g.textBaseline = 'top';
  const ly = (L.lo < 0 ? plot.y + plot.h + L.valueRoom : plot.y + plot.h) + labelSize * 0.3;
  labels.forEach((l, i) => {
    if (l !== '') g.fillText(l, L.cx(i), ly, L.slot * 0.98);
  });
}

export { formatValue as formatChartValue };
