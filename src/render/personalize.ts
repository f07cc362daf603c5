// From one person's data to their personalized segments: resolve what each
// layer draws, derive content-addressed keys (equal overlays → one shared
// encode), draw overlays and render the segments in playback order.
import { createHmac } from 'node:crypto';
import { GlobalFonts } from '@napi-rs/canvas';
import type { TemplatePlan, SegmentInfo } from '../templates/plan.ts';
import { layerFrames, versionPrefix } from '../templates/plan.ts';
import type { Storage } from '../storage/storage.ts';
import { drawLayer, layerInputs, type DrawContext, type ImageFetchPolicy, type AssetSource } from '../overlays/index.ts';
import { renderDynamicSegment, type PlacedOverlay } from './dynamic-segment.ts';

/** Bump when drawing changes, so cached segments drawn the old way are not reused. */
export const DRAW_VERSION = 1;

/** Per layer id: exactly what the layer draws for this person (text, items, URLs…). */
export type LayerInputs = Record<string, unknown>;

export function resolveInputs(plan: TemplatePlan, data: Record<string, unknown>): LayerInputs {
  const out: LayerInputs = {};
  for (const layer of plan.manifest.layers) out[layer.id] = layerInputs(layer, data);
  return out;
}

/** Package files (images, SVGs, fonts) of a prepared version, read from storage. */
export function versionAssets(plan: TemplatePlan, storage: Storage): AssetSource {
  const prefix = `${versionPrefix(plan.templateId, plan.version)}/package/`;
  return {
    read: async (rel) => {
      const b = await storage.get(prefix + rel);
      if (!b) throw new Error(`template file ${rel} is missing from the prepared version`);
      return b;
    },
  };
}

const registeredFonts = new Set<string>();

/** Registers a version's packaged fonts with the canvas (once per process and version). */
export async function registerPackageFonts(plan: TemplatePlan, storage: Storage): Promise<void> {
  const tag = `${plan.templateId}@${plan.version}`;
  if (registeredFonts.has(tag) || !plan.manifest.fonts?.length) return;
  const assets = versionAssets(plan, storage);
  for (const f of plan.manifest.fonts) GlobalFonts.register(await assets.read(f.file), f.family);
  registeredFonts.add(tag);
}

export function drawContext(plan: TemplatePlan, storage: Storage, fetchPolicy: ImageFetchPolicy): DrawContext {
  return { assets: versionAssets(plan, storage), fetchPolicy };
}

/**
 * Storage key of each dynamic segment. Keyed by an HMAC of exactly what is
 * drawn in it, so two people with the same overlay content share one encode,
 * and the name reveals nothing about the person.
 */
export function segmentKeys(plan: TemplatePlan, inputs: LayerInputs, secret: Buffer): Record<number, string> {
  const keys: Record<number, string> = {};
  for (const seg of plan.segments) {
    if (seg.kind !== 'dynamic') continue;
    const drawn = seg.layers.map((id) => [id, inputs[id] ?? null]);
    const mac = createHmac('sha256', secret).update(JSON.stringify([DRAW_VERSION, plan.version, seg.index, drawn])).digest('base64url').slice(0, 32);
    keys[seg.index] = `${versionPrefix(plan.templateId, plan.version)}/p/${seg.index}-${mac}.ts`;
  }
  return keys;
}

export async function overlaysFor(plan: TemplatePlan, seg: SegmentInfo, data: Record<string, unknown>, ctx: DrawContext): Promise<PlacedOverlay[]> {
  const out: PlacedOverlay[] = [];
  for (const id of seg.layers) {
    const layer = plan.manifest.layers.find((l) => l.id === id);
    if (!layer) throw new Error(`layer ${id} missing from plan`);
    const drawn = await drawLayer(layer, data, ctx);
    out.push({
      layerId: id,
      png: drawn.png,
      x: layer.box.x,
      y: layer.box.y,
      ...layerFrames(layer, plan.fps, plan.frameCount),
      fadeIn: layer.fade?.in,
      fadeOut: layer.fade?.out,
      slide: layer.slide,
    });
  }
  return out;
}

export interface SegmentDone {
  index: number;
  key: string;
  /** true when an identical segment already existed (someone with the same overlays). */
  reused: boolean;
  ms: number;
}

/** Renders every missing dynamic segment in playback order. Safe to re-run after a crash. */
export async function renderPersonalSegments(
  plan: TemplatePlan,
  data: Record<string, unknown>,
  keys: Record<number, string>,
  storage: Storage,
  ctx: DrawContext,
  opts: { signal?: AbortSignal; onSegment?: (d: SegmentDone) => Promise<void> | void; order?: number[] } = {},
): Promise<SegmentDone[]> {
  const done: SegmentDone[] = [];
  await registerPackageFonts(plan, storage);
  const dynamic = plan.segments.filter((s) => s.kind === 'dynamic');
  const order = opts.order ?? dynamic.map((s) => s.index);
  for (const index of order) {
    const seg = plan.segments[index]!;
    const key = keys[index]!;
    const t0 = performance.now();
    let reused = true;
    if (!(await storage.head(key))) {
      reused = false;
      const bytes = await renderDynamicSegment(plan, seg, await overlaysFor(plan, seg, data, ctx), storage, { signal: opts.signal });
      await storage.put(key, bytes);
    }
    const d = { index, key, reused, ms: performance.now() - t0 };
    done.push(d);
    await opts.onSegment?.(d);
  }
  return done;
}
