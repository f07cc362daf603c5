// One entry point from (layer, person's data) to an overlay image, for every
// layer kind; and the exact inputs each layer draws, which key the
// content-addressed personal segments.
import type { Layer } from './types.ts';
import { drawTextLayer, type DrawnOverlay } from './draw.ts';
import { resolveLayerText } from './text.ts';

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

export const DEFAULT_FETCH_POLICY: ImageFetchPolicy = { allowHosts: [], allowPrivate: false, maxBytes: 5 * 1024 * 1024, maxPixels: 4096 * 4096, timeoutMs: 3000 };

export interface DrawContext {
  assets: AssetSource;
  fetchPolicy: ImageFetchPolicy;
}

export interface LayerDrawing extends DrawnOverlay {
  /** Degradations that did not fail the render (e.g. an image fell back). No personal data. */
  warnings: string[];
}

export async function drawLayer(layer: Layer, data: Record<string, unknown>, _ctx: DrawContext): Promise<LayerDrawing> {
  switch (layer.type) {
    case 'text':
      return { ...drawTextLayer(layer, resolveLayerText(layer, data)), warnings: [] };
    default:
      throw new Error(`layer type ${(layer as Layer).type} cannot be drawn yet`);
  }
}

/** Exactly what this layer draws for this data; equal inputs → identical pixels. */
export function layerInputs(layer: Layer, data: Record<string, unknown>): unknown {
  switch (layer.type) {
    case 'text':
      return resolveLayerText(layer, data);
    default:
      throw new Error(`layer type ${(layer as Layer).type} is not supported yet`);
  }
}
