// One entry point from (layer, person's data) to an overlay image, for every
// layer kind; and the exact inputs each layer draws, which key the
// content-addressed personal segments.
import type { Layer } from './types.ts';
import { drawTextLayer, type DrawnOverlay } from './text-layout.ts';
import { resolveLayerText } from './handlebars.ts';
import { drawSvgLayer, svgLayerInputs } from './svg.ts';
import { drawImageLayer, imageLayerInputs } from './image.ts';
import { drawItemsLayer, itemsLayerInputs } from './items.ts';
import { chartLayerInputs, drawChartLayer } from './chart.ts';

/** Reads files from the template package (fonts, images, SVGs). */
export interface AssetSource {
  read(relPath: string): Promise<Buffer>;
}

/** Limits for images fetched from URLs in the data (product photos). */
export interface ImageFetchPolicy {
  /** Host names allowed ('cdn.example.jp' exact, '*.example.jp' any subdomain). Empty: none. */
  allowHosts: string[];
  /** Allow loopback/private/link-local addresses (tests, on-prem image servers). */
  allowPrivate: boolean;
  maxBytes: number;
  maxPixels: number;
  timeoutMs: number;
}


export interface DrawContext {
  assets: AssetSource;
  fetchPolicy: ImageFetchPolicy;
}

export interface LayerDrawing extends DrawnOverlay {
  /** Degradations that did not fail the render (e.g. an image fell back). No personal data. */
  warnings: string[];
}

/**
 * Draws one layer for one person: a PNG of exactly the box size. Bad data
 * (missing fields, wrong types, failing image URLs, hostile strings) never
 * throws; it degrades and says so in `warnings`. Template errors (a missing
 * packaged file, an unsafe SVG) do throw.
 */
export async function drawLayer(layer: Layer, data: Record<string, unknown>, ctx: DrawContext): Promise<LayerDrawing> {
  const d = data ?? {};
  switch (layer.type) {
    case 'text':
      return { ...drawTextLayer(layer, resolveLayerText(layer, d)), warnings: [] };
    case 'svg':
      return drawSvgLayer(layer, d, ctx);
    case 'image':
      return drawImageLayer(layer, d, ctx);
    case 'items':
      return drawItemsLayer(layer, d, ctx);
    case 'chart':
      return drawChartLayer(layer, d);
    default:
      throw new Error(`layer type ${(layer as Layer).type} cannot be drawn`);
  }
}

/**
 * Exactly what this layer draws for this data, as plain JSON; equal inputs →
 * identical pixels (package files are fixed per version, which keys apart).
 *   text:  the resolved string
 *   svg:   { svg } the filled-in SVG text (or { file, data } without layer.svgText)
 *   image: { url } the resolved URL ('' when missing), or { file }
 *   items: { items: [{ name, price, image, badge }] } as drawn, at most maxItems
 *   chart: { title, labels, series: [{ label, color, values }] } with null for skipped values
 */
export function layerInputs(layer: Layer, data: Record<string, unknown>): unknown {
  const d = data ?? {};
  switch (layer.type) {
    case 'text':
      return resolveLayerText(layer, d);
    case 'svg':
      return svgLayerInputs(layer, d);
    case 'image':
      return imageLayerInputs(layer, d);
    case 'items':
      return itemsLayerInputs(layer, d);
    case 'chart':
      return chartLayerInputs(layer, d);
    default:
      throw new Error(`layer type ${(layer as Layer).type} is not supported`);
  }
}
