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

async function drawChart(layer: ChartLayer, inputs: ChartInputs, warnings: string[]): Promise<LayerDrawing> {
  ensureFonts();
  const { canvas, g, width: W, height: H } = layerCanvas(layer);
  const n = inputs.labels.length;
  const all = inputs.series.flatMap((s) => s.values).filter((v): v is number => v !== null);
  // Nothing to show: no card, no title, no axes.
  if (n === 0 || all.length === 0) return drawingOf(layer, canvas, warnings);

  const st = layer.style ?? {};
  const fs = clamp(finite(st.fontSize, 22), 8, 200);
  const textColor = colorOr(st.textColor, '#ffffff');
  const gridColor = colorOr(st.gridColor, 'rgba(255,255,255,0.25)');
  const format: Format = layer.valueFormat === 'yen' || layer.valueFormat === 'percent' ? layer.valueFormat : 'number';
  const k = inputs.series.length;
  const isBar = layer.kind !== 'line';
  const showValues = st.showValues ?? (isBar || k === 1);
  const showLegend = st.legend ?? k > 1;

  if (st.background) {
    g.fillStyle = colorOr(st.background, 'rgba(0,0,0,0.5)');
    g.beginPath();
    g.roundRect(0, 0, W, H, Math.min(Math.max(0, finite(st.radius, 16)), W / 2, H / 2));
    g.fill();
  }
  const pad = st.background ? Math.round(fs * 0.8) : Math.round(fs * 0.25);
  let top = pad;
  const left = pad;
  const right = W - pad;
  let bottom = H - pad;

  const textStyle = (size: number, align: 'left' | 'center' | 'right' = 'center'): TextStyle => ({ fontSize: size, minFontSize: Math.max(8, size * 0.6), color: textColor, fontWeight: 700, align });

  if (inputs.title) {
    const h = Math.round(fs * 1.6);
    await drawTextIn(g, { x: left, y: top, w: right - left, h }, inputs.title, textStyle(fs));
    top += h + Math.round(fs * 0.3);
  }

  if (showLegend) {
    const h = Math.round(fs * 1.4);
    const sw = Math.round(fs * 0.8);
    g.font = fontCss(fs * 0.85, 400);
    const entries = inputs.series.map((s) => ({ ...s, w: sw + fs * 0.4 + width(g, s.label) }));
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
      g.fillStyle = textColor;
      g.fillText(e.label, x + sw + fs * 0.4, top + h / 2, Math.max(1, right - x - sw - fs * 0.4));
      x += e.w + spacing;
    }
    top += h + Math.round(fs * 0.3);
  }

  // X labels along the bottom, shrunk (never below 60%) to fit their slots.
  const hasLabels = inputs.labels.some((l) => l !== '');
  const slot = (right - left) / n;
  let labelSize = fs * 0.9;
  if (hasLabels) {
    g.font = fontCss(labelSize, 400);
    const widest = Math.max(...inputs.labels.map((l) => width(g, l)));
    if (widest > slot * 0.95) labelSize = Math.max(fs * 0.6, (labelSize * slot * 0.95) / widest);
    bottom -= Math.round(labelSize * 1.6);
  }

  // Bars of one label side by side; k bars fill 80% of the slot (one bar 60%).
  const group = slot * (k > 1 ? 0.8 : 0.6);
  const gapIn = k > 1 ? Math.min(fs * 0.2, (group / k) * 0.15) : 0;
  const bw = Math.max(1, (group - gapIn * (k - 1)) / k);

  // Value labels: full '¥12,000' when every one fits its room, else '¥1.2万', else smaller, else none.
  let valueSize = fs * 0.85;
  let compact = false;
  let valuesFit = showValues;
  if (showValues) {
    const room = isBar ? (k > 1 ? bw + gapIn * 0.8 : slot * 0.9) : slot * 0.95;
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
  const valueRoom = valuesFit ? Math.round(valueSize * 1.4) : 0;

  let lo = Math.min(0, ...all);
  let hi = Math.max(0, ...all);
  if (hi === lo) hi = lo + 1; // all zero: a flat baseline at the bottom
  const plot: Rect = { x: left, y: top + (hi > 0 ? valueRoom : 0), w: right - left, h: 0 };
  plot.h = bottom - (lo < 0 ? valueRoom : 0) - plot.y;
  if (plot.h < 4 || plot.w < 4) {
    warnings.push('chart: the box is too small to draw');
    return drawingOf(layer, canvas, warnings);
  }
  const y = (v: number) => plot.y + ((hi - v) / (hi - lo)) * plot.h;
  const baseline = Math.round(y(0)) + 0.5;

  // Light grid at round values, then the baseline.
  const step = niceStep(hi - lo, Math.max(2, Math.min(5, Math.floor(plot.h / (fs * 2)))));
  g.strokeStyle = gridColor;
  g.lineWidth = 1;
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) {
    if (Math.abs(t) < step / 1e6) continue;
    const gy = Math.round(y(t)) + 0.5;
    g.beginPath();
    g.moveTo(plot.x, gy);
    g.lineTo(plot.x + plot.w, gy);
    g.stroke();
  }
  g.strokeStyle = textColor;
  g.lineWidth = Math.max(1, Math.round(fs * 0.08));
  g.beginPath();
  g.moveTo(plot.x, baseline);
  g.lineTo(plot.x + plot.w, baseline);
  g.stroke();

  const valueLabels: Array<{ text: string; x: number; y: number; above: boolean }> = [];
  const cx = (i: number) => plot.x + slot * (i + 0.5);

  if (isBar) {
    inputs.series.forEach((s, j) => {
      g.fillStyle = s.color;
      s.values.forEach((v, i) => {
        if (v === null) return;
        const x = cx(i) - group / 2 + j * (bw + gapIn);
        const y0 = y(0);
        const y1 = y(v);
        const h = Math.abs(y1 - y0);
        const r = Math.min(bw / 4, fs * 0.3, h);
        g.beginPath();
        // Round only the end away from the baseline.
        if (v >= 0) g.roundRect(x, y1, bw, h, [r, r, 0, 0]);
        else g.roundRect(x, y0, bw, h, [0, 0, r, r]);
        g.fill();
        if (valuesFit) valueLabels.push({ text: formatValue(v, format, compact), x: x + bw / 2, y: y1, above: v >= 0 });
      });
    });
  } else {
    const lw = Math.max(2, Math.round(fs * 0.16));
    inputs.series.forEach((s) => {
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
        if (valuesFit) valueLabels.push({ text: formatValue(v, format, compact), x: cx(i), y: y(v) - lw, above: v >= 0 });
      });
    });
  }

  if (valueLabels.length) {
    g.font = fontCss(valueSize);
    g.fillStyle = textColor;
    g.textAlign = 'center';
    // Centred on its bar or point, kept inside the box.
    for (const l of valueLabels) {
      const w = width(g, l.text);
      const x = clamp(l.x, w / 2, W - w / 2);
      g.textBaseline = l.above ? 'alphabetic' : 'top';
      g.fillText(l.text, x, l.above ? l.y - valueSize * 0.3 : l.y + valueSize * 0.3);
    }
  }

  if (hasLabels) {
    g.font = fontCss(labelSize, 400);
    g.fillStyle = textColor;
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const ly = (lo < 0 ? plot.y + plot.h + valueRoom : plot.y + plot.h) + labelSize * 0.3;
    inputs.labels.forEach((l, i) => {
      if (l !== '') g.fillText(l, cx(i), ly, slot * 0.98);
    });
  }
  return drawingOf(layer, canvas, warnings);
}

export { formatValue as formatChartValue };
