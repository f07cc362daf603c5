// Product cards from an array field: 1..maxItems equal cards, centred in the
// box, each with a photo (fetched under the image policy), a name in up to two
// kinsoku-wrapped lines, a yen price and an optional badge pill.
import { createCanvas, type Image, type SKRSContext2D } from '@napi-rs/canvas';
import { DEFAULT_FONT_FAMILY, ensureFonts } from './fonts.ts';
import { graphemesUpTo, sanitizeText } from './linebreak.ts';
import { formatYen, toNumber } from './handlebars.ts';
import {
  clamp,
  colorOr,
  drawFitted,
  drawingOf,
  drawTextIn,
  failureReason,
  layerCanvas,
  loadPackagedImage,
  loadRemoteImage,
  MAX_URL_LENGTH,
  type Rect,
} from './image.ts';
import { finite } from './text-layout.ts';
import type { ItemsLayer, TextStyle } from './types.ts';
import type { DrawContext, LayerDrawing } from './draw-layer.ts';

/** One card as drawn; missing parts are null so the inputs are plain, stable JSON. */
export interface DrawnItem {
  name: string;
  price: number | null;
  image: string | null;
  badge: string | null;
}

const MAX_ITEMS = 12;
// Two lines of a card never show more than this; longer names only bloat content keys.
const NAME_MAX_GRAPHEMES = 120;
const BADGE_MAX_GRAPHEMES = 24;

function clipText(v: unknown, max: number): string {
  const s = typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
  const { gs } = graphemesUpTo(sanitizeText(s, false).trim(), max);
  return gs.join('').trim();
}

export function maxItemsOf(layer: ItemsLayer): number {
  return clamp(Math.trunc(finite(layer.maxItems, 3)), 1, MAX_ITEMS);
}

/** The items the layer draws, in order, cut to maxItems; problems with the data as warnings (indexes only). */
export function normalizeItems(layer: ItemsLayer, data: Record<string, unknown>): { items: DrawnItem[]; warnings: string[] } {
  const warnings: string[] = [];
  const raw = data?.[layer.field];
  if (raw === undefined || raw === null) return { items: [], warnings: ['items: the list is missing'] };
  if (!Array.isArray(raw)) return { items: [], warnings: ['items: the field is not a list'] };
  const max = maxItemsOf(layer);
  const items: DrawnItem[] = [];
  // Stops as soon as enough items are found, so a huge list costs nothing extra.
  for (let i = 0; i < raw.length && items.length < max; i++) {
    const v: unknown = raw[i];
    const n = i + 1;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      warnings.push(`item ${n} skipped: not an object`);
      continue;
    }
    const o = v as Record<string, unknown>;
    const name = clipText(o.name, NAME_MAX_GRAPHEMES);
    const badge = clipText(o.badge, BADGE_MAX_GRAPHEMES);
    let price: number | null = null;
    if (o.price !== undefined && o.price !== null && o.price !== '') {
      const p = toNumber(o.price);
      if (p === undefined) warnings.push(`item ${n} price skipped: not a number`);
      else price = p;
    }
    let image: string | null = null;
    if (typeof o.image === 'string' && o.image.trim() !== '') {
      const u = o.image.trim();
      if (u.length <= MAX_URL_LENGTH && /^https?:\/\//i.test(u)) image = u;
      else warnings.push(`item ${n} image skipped: not a URL`);
    }
    if (name === '' && price === null && image === null && badge === '') {
      warnings.push(`item ${n} skipped: empty`);
      continue;
    }
    items.push({ name, price, image, badge: badge === '' ? null : badge });
  }
  return { items, warnings };
}

export function itemsLayerInputs(layer: ItemsLayer, data: Record<string, unknown>): { items: DrawnItem[] } {
  return { items: normalizeItems(layer, data).items };
}

// ---------------------------------------------------------------- layout

export interface CardLayout {
  cards: Rect[];
  cardW: number;
  cardH: number;
  horizontal: boolean;
}

/**
 * Card rectangles for n items. Cards are sized for the template's maximum
 * (maxItems in `columns` columns), not for n, so one card looks the same as
 * three, and the cards present are centred — each row on its own.
 */
export function layoutCards(layer: ItemsLayer, n: number, width: number, height: number): CardLayout {
  const max = maxItemsOf(layer);
  const slots = clamp(Math.trunc(finite(layer.columns, Math.min(max, 3))), 1, max);
  const rowsMax = Math.ceil(max / slots);
  const gap = clamp(finite(layer.gap, 24), 0, Math.min(width, height) / 2);
  let cardW = Math.max(1, (width - gap * (slots - 1)) / slots);
  let cardH = Math.max(1, (height - gap * (rowsMax - 1)) / rowsMax);
  // Keep cards card-shaped in extreme boxes.
  cardH = Math.min(cardH, cardW * 1.6);
  cardW = Math.min(cardW, cardH * 2.5);
  cardW = Math.floor(cardW);
  cardH = Math.floor(cardH);
  const rows = Math.ceil(n / slots);
  const blockH = rows * cardH + (rows - 1) * gap;
  const y0 = (height - blockH) / 2;
  const cards: Rect[] = [];
  for (let r = 0; r < rows; r++) {
    const k = Math.min(slots, n - r * slots);
    const x0 = (width - (k * cardW + (k - 1) * gap)) / 2;
    for (let c = 0; c < k; c++) cards.push({ x: Math.round(x0 + c * (cardW + gap)), y: Math.round(y0 + r * (cardH + gap)), w: cardW, h: cardH });
  }
  return { cards, cardW, cardH, horizontal: cardW > cardH * 1.15 };
}

interface CardParts {
  image: Rect;
  name: Rect;
  price: Rect;
  nameSize: number;
  priceSize: number;
  lineHeight: number;
  align: 'left' | 'center';
}

/** Where photo, name and price go inside a card (relative to the card), the same for every card. */
function cardParts(layer: ItemsLayer, L: CardLayout): CardParts {
  const card = layer.card ?? {};
  const { cardW: W, cardH: H } = L;
  const pad = clamp(finite(card.padding, 16), 0, Math.min(W, H) / 4);
  const innerW = W - 2 * pad;
  const innerH = H - 2 * pad;
  const lineHeight = clamp(finite(card.nameStyle?.lineHeight, 1.3), 0.8, 3);
  const textW = L.horizontal ? innerW - Math.min(innerH, innerW * 0.45) - pad : innerW;
  let nameSize = finite(card.nameStyle?.fontSize, clamp(Math.round((L.horizontal ? H * 0.11 : W * 0.075)), 12, 44));
  let priceSize = finite(card.priceStyle?.fontSize, Math.round(nameSize * 1.3));
  const gapY = Math.round(pad * 0.5);
  // Two name lines plus room for ink outside the em box; one price line.
  const nameH = (s: number) => Math.ceil(s * (1 + lineHeight) + s * 0.35);
  const priceH = (s: number) => Math.ceil(s * 1.45);
  // Text may take at most 70% of a vertical card (the photo keeps the rest), all of a horizontal one.
  const budget = (L.horizontal ? innerH : innerH * 0.7) - gapY * (L.horizontal ? 1 : 2);
  const need = nameH(nameSize) + priceH(priceSize);
  if (need > budget && budget > 0) {
    const f = budget / need;
    nameSize = Math.max(8, nameSize * f);
    priceSize = Math.max(8, priceSize * f);
  }
  const nH = nameH(nameSize);
  const pH = priceH(priceSize);
  if (L.horizontal) {
    const side = Math.min(innerH, innerW * 0.45);
    const tx = pad + side + pad;
    const blockH = nH + gapY + pH;
    const ty = pad + Math.max(0, (innerH - blockH) / 2);
    return {
      image: { x: pad, y: pad + (innerH - side) / 2, w: side, h: side },
      name: { x: tx, y: ty, w: textW, h: nH },
      price: { x: tx, y: ty + nH + gapY, w: textW, h: pH },
      nameSize,
      priceSize,
      lineHeight,
      align: 'left',
    };
  }
  const imageH = Math.max(0, innerH - nH - pH - 2 * gapY);
  return {
    image: { x: pad, y: pad, w: innerW, h: imageH },
    name: { x: pad, y: pad + imageH + gapY, w: innerW, h: nH },
    price: { x: pad, y: pad + imageH + gapY + nH + gapY, w: innerW, h: pH },
    nameSize,
    priceSize,
    lineHeight,
    align: 'center',
  };
}

function offset(r: Rect, by: Rect): Rect {
  return { x: by.x + r.x, y: by.y + r.y, w: r.w, h: r.h };
}

function drawPlaceholder(g: SKRSContext2D, r: Rect): void {
  if (r.w < 4 || r.h < 4) return;
  g.save();
  g.fillStyle = 'rgba(0,0,0,0.06)';
  g.beginPath();
  g.roundRect(r.x, r.y, r.w, r.h, Math.min(12, r.w / 4, r.h / 4));
  g.fill();
  // A small "picture" glyph: a sun and a hill, in grey.
  const s = Math.min(r.w, r.h) * 0.35;
  const cx = r.x + r.w / 2;
  const cy = r.y + r.h / 2;
  g.fillStyle = 'rgba(0,0,0,0.16)';
  g.beginPath();
  g.arc(cx + s * 0.25, cy - s * 0.25, s * 0.14, 0, Math.PI * 2);
  g.fill();
  g.beginPath();
  g.moveTo(cx - s / 2, cy + s * 0.35);
  g.lineTo(cx - s * 0.1, cy - s * 0.1);
  g.lineTo(cx + s * 0.15, cy + s * 0.15);
  g.lineTo(cx + s * 0.3, cy);
  g.lineTo(cx + s / 2, cy + s * 0.35);
  g.closePath();
  g.fill();
  g.restore();
}

let measurer: SKRSContext2D | undefined;
function textWidth(text: string, font: string): number {
  measurer ??= createCanvas(1, 1).getContext('2d');
  measurer.font = font;
  return finite(measurer.measureText(text).width, 0);
}

async function drawBadge(g: SKRSContext2D, layer: ItemsLayer, text: string, image: Rect, nameSize: number): Promise<void> {
  const bs = layer.card?.badgeStyle ?? {};
  const size = Math.max(8, finite(bs.fontSize, Math.round(nameSize * 0.75)));
  const h = Math.round(size * 1.9);
  const inset = Math.round(Math.min(10, image.w * 0.04));
  const maxW = image.w - 2 * inset;
  if (maxW < h || image.h < h) return;
  const w = Math.min(maxW, Math.ceil(textWidth(text, `700 ${size}px "${DEFAULT_FONT_FAMILY}"`) + size * 1.3));
  const style: TextStyle = {
    fontSize: size,
    minFontSize: Math.max(8, size * 0.7),
    fontWeight: 700,
    color: colorOr(bs.color, '#ffffff'),
    align: 'center',
    background: { color: colorOr(bs.background, '#e60033'), radius: h / 2, padding: Math.round(size * 0.3) },
  };
  await drawTextIn(g, { x: image.x + inset, y: image.y + inset, w, h }, text, style);
}

export async function drawItemsLayer(layer: ItemsLayer, data: Record<string, unknown>, ctx: DrawContext): Promise<LayerDrawing> {
  ensureFonts();
  const { items, warnings } = normalizeItems(layer, data);
  const { canvas, g, width, height } = layerCanvas(layer);
  if (items.length === 0) {
    warnings.push('items: nothing to draw');
    return drawingOf(layer, canvas, warnings);
  }
  const L = layoutCards(layer, items.length, width, height);
  const P = cardParts(layer, L);
  const photos = await loadPhotos(layer, items, ctx, warnings);
  const styles = cardTextStyles(layer, P);
  for (const [i, item] of items.entries()) await drawCard(g, layer, item, photos[i], L.cards[i]!, P, styles);
  return drawingOf(layer, canvas, warnings);
}

/** Photos in parallel, one per item (undefined: draw the placeholder); failures become warnings in item order. */
async function loadPhotos(layer: ItemsLayer, items: DrawnItem[], ctx: DrawContext, warnings: string[]): Promise<Array<Image | undefined>> {
  // The fallback is read once, only if some item needs it.
  let fallback: Promise<Image> | undefined;
  const fallbackImage = () => (typeof layer.imageFallback === 'string' ? (fallback ??= loadPackagedImage(ctx.assets, layer.imageFallback)) : undefined);
  const failed: Array<string | undefined> = [];
  const photos = await Promise.all(
    items.map(async (item, i): Promise<Image | undefined> => {
      if (item.image !== null) {
        try {
          return await loadRemoteImage(item.image, ctx.fetchPolicy);
        } catch (e) {
          failed[i] = `image for item ${i + 1} fell back: ${failureReason(e)}`;
        }
      }
      return fallbackImage();
    }),
  );
  // In item order, not in the order the fetches happened to finish.
  for (const w of failed) if (w) warnings.push(w);
  return photos;
}

interface CardTextStyles {
  name: TextStyle;
  price: TextStyle;
}

/** The template's name and price styles over the defaults, at the sizes the card parts fit. */
function cardTextStyles(layer: ItemsLayer, P: CardParts): CardTextStyles {
  const card = layer.card ?? {};
  const name: TextStyle = {
    color: '#222222',
    fontWeight: 700,
    align: P.align,
    valign: 'top',
    ...card.nameStyle,
    fontSize: P.nameSize,
    // Never so small that a third line would fit: the name area holds two.
    minFontSize: Math.max(P.nameSize * 0.8, finite(card.nameStyle?.minFontSize, P.nameSize * 0.8)),
    lineHeight: P.lineHeight,
  };
  const price: TextStyle = {
    color: '#d7000f',
    fontWeight: 700,
    align: P.align,
    valign: 'middle',
    ...card.priceStyle,
    fontSize: P.priceSize,
    minFontSize: finite(card.priceStyle?.minFontSize, Math.max(8, P.priceSize * 0.6)),
  };
  return { name, price };
}

/** One card: background, photo (or placeholder), name, price and badge. */
async function drawCard(g: SKRSContext2D, layer: ItemsLayer, item: DrawnItem, photo: Image | undefined, box: Rect, P: CardParts, styles: CardTextStyles): Promise<void> {
  const card = layer.card ?? {};
  const radius = Math.max(0, finite(card.radius, 20));
  g.fillStyle = colorOr(card.background, 'rgba(255,255,255,0.92)');
  g.beginPath();
  g.roundRect(box.x, box.y, box.w, box.h, Math.min(radius, box.w / 2, box.h / 2));
  g.fill();

  const imageRect = offset(P.image, box);
  if (imageRect.w >= 1 && imageRect.h >= 1) {
    if (photo) drawFitted(g, photo, imageRect, 'contain', Math.min(12, radius * 0.6));
    else drawPlaceholder(g, imageRect);
  }
  await drawTextIn(g, offset(P.name, box), item.name, styles.name, 'wrap');
  if (item.price !== null) await drawTextIn(g, offset(P.price, box), formatYen(item.price), styles.price);
  if (item.badge !== null) await drawBadge(g, layer, item.badge, imageRect, P.nameSize);
}
