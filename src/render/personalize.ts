// From one person's data to their personalized segments: resolve what each
// layer draws, derive content-addressed keys (equal overlays → one shared
// encode), draw overlays and render the segments in playback order.
import { createHmac } from 'node:crypto';
import { GlobalFonts } from '@napi-rs/canvas';
import type { TemplatePlan, SegmentInfo } from '../templates/plan.ts';
import { layerFrames, versionPrefix } from '../templates/plan.ts';
import type { Storage } from '../storage/storage.ts';
import { drawLayer, layerInputs, type DrawContext, type ImageFetchPolicy, type AssetSource } from '../overlays/index.ts';
import { familyCoverage, fieldCoverage, glyphProblems, type FieldCoverage } from '../templates/glyphs.ts';
import { fontCodepoints } from '../templates/package/fonts.ts';
import type { Problem } from '../templates/package/problems.ts';
import { renderPass, type PassSegment, type PlacedOverlay } from './render-pass.ts';
import { segmentEncodeSeconds, segmentReuseTotal } from '../metrics/index.ts';

/** Bump when drawing or encoding of personal segments changes, so segments made the old way are not reused. */
export const DRAW_VERSION = 5; // 5: overlays into YUV with BT.709 (video/colour.ts); 4: personal encode with cheaper x264 analysis (encoder.ts personalVideoEncoderArgs)

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

const coverages = new Map<string, Promise<FieldCoverage>>();

/** What each data field of a version can draw; computed once per process and version (font cmaps parsed once). */
function versionCoverage(plan: TemplatePlan, storage: Storage): Promise<FieldCoverage> {
  const tag = `${plan.templateId}@${plan.version}`;
  let hit = coverages.get(tag);
  if (!hit) {
    hit = (async () => {
      const assets = versionAssets(plan, storage);
      const packaged = [];
      for (const f of plan.manifest.fonts ?? []) packaged.push({ family: f.family, codepoints: fontCodepoints(await assets.read(f.file)) });
      return fieldCoverage(plan.manifest, familyCoverage(packaged));
    })();
    hit.catch(() => coverages.delete(tag)); // a storage hiccup is retried on the next accept
    coverages.set(tag, hit);
  }
  return hit;
}

/**
 * Characters in a person's validated data that the fonts drawing them lack
 * (they would draw as empty boxes): one problem per string, at its JSON
 * pointer, naming code points only. Checked when a render is accepted.
 */
export async function undrawableText(plan: TemplatePlan, storage: Storage, data: Record<string, unknown>): Promise<Problem[]> {
  return glyphProblems(await versionCoverage(plan, storage), data);
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
  /** Milliseconds from the start of this render to the segment being stored. */
  ms: number;
}

/**
 * Another worker may be encoding the same content-addressed segment right now
 * (two people with the same items). `claim` returns false when it is; this render
 * then waits for that segment instead of encoding it a second time.
 */
export interface SegmentClaims {
  claim(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
}

const CLAIM_WAIT_MS = 30_000;

/**
 * Renders every missing dynamic segment, in `order` (playback order by default),
 * in one encoder pass; each is stored the moment it is encoded. Segments that
 * already exist are reused. Safe to re-run after a crash.
 */
export async function renderPersonalSegments(
  plan: TemplatePlan,
  data: Record<string, unknown>,
  keys: Record<number, string>,
  storage: Storage,
  ctx: DrawContext,
  opts: {
    signal?: AbortSignal;
    onSegment?: (d: SegmentDone) => Promise<void> | void;
    order?: number[];
    claims?: SegmentClaims;
    /**
     * Asked only when more than one segment needs encoding: true encodes just the first
     * and returns the others as `deferred` (the caller queues them for later).
     */
    deferAllButFirst?: () => Promise<boolean>;
  } = {},
): Promise<{ done: SegmentDone[]; deferred: number[] }> {
  const t0 = performance.now();
  const done: SegmentDone[] = [];
  const report = async (d: SegmentDone) => {
    done.push(d);
    if (d.reused) segmentReuseTotal.inc();
    await opts.onSegment?.(d);
  };
  await registerPackageFonts(plan, storage);
  const dynamic = plan.segments.filter((s) => s.kind === 'dynamic');
  const order = opts.order ?? dynamic.map((s) => s.index);
  let missing: SegmentInfo[] = [];
  // All at once: on S3 each lookup is a round trip, and they all precede the encode.
  const exists = await Promise.all(order.map((index) => storage.head(keys[index]!)));
  for (const [k, index] of order.entries()) {
    const key = keys[index]!;
    if (exists[k]) await report({ index, key, reused: true, ms: performance.now() - t0 });
    else missing.push(plan.segments[index]!);
  }
  let deferred: number[] = [];
  if (missing.length > 1 && opts.deferAllButFirst && (await opts.deferAllButFirst())) {
    deferred = missing.slice(1).map((s) => s.index);
    missing = missing.slice(0, 1);
  }
  const todo: SegmentInfo[] = [];
  const elsewhere: SegmentInfo[] = [];
  for (const seg of missing) {
    if (opts.claims && !(await opts.claims.claim(keys[seg.index]!))) elsewhere.push(seg);
    else todo.push(seg);
  }
  const encode = (segs: SegmentInfo[]) => encodeAndStore(plan, segs, { data, ctx, storage, keys, report, t0, signal: opts.signal });
  const claimed = opts.claims ? todo.map((s) => keys[s.index]!) : [];
  try {
    await encode(todo);
  } finally {
    for (const key of claimed) await opts.claims!.release(key).catch(() => {});
  }
  const orphans = await awaitClaimedElsewhere(elsewhere, keys, storage, async (seg, key) => report({ index: seg.index, key, reused: true, ms: performance.now() - t0 }), opts.signal);
  await encode(orphans);
  return { done, deferred };
}

/** One encoder pass over `segs`, each stored (and reported) the moment it is encoded. */
async function encodeAndStore(
  plan: TemplatePlan,
  segs: SegmentInfo[],
  o: { data: Record<string, unknown>; ctx: DrawContext; storage: Storage; keys: Record<number, string>; report: (d: SegmentDone) => Promise<void>; t0: number; signal?: AbortSignal },
): Promise<void> {
  const pass: PassSegment[] = [];
  // One pass encodes its segments in turn: each one's time runs from the one before (drawing included).
  let since = performance.now();
  for (const seg of segs) pass.push({ seg, overlays: await overlaysFor(plan, seg, o.data, o.ctx) });
  await renderPass(plan, pass, o.storage, async (seg, bytes) => {
    const key = o.keys[seg.index]!;
    await o.storage.put(key, bytes);
    segmentEncodeSeconds.observe((performance.now() - since) / 1000);
    since = performance.now();
    await o.report({ index: seg.index, key, reused: false, ms: performance.now() - o.t0 });
  }, { signal: o.signal });
}

/** Segments another worker was encoding: wait for them; those never stored (that worker died) are returned to encode here. */
async function awaitClaimedElsewhere(
  segs: SegmentInfo[],
  keys: Record<number, string>,
  storage: Storage,
  stored: (seg: SegmentInfo, key: string) => Promise<void>,
  signal?: AbortSignal,
): Promise<SegmentInfo[]> {
  const orphans: SegmentInfo[] = [];
  for (const seg of segs) {
    const key = keys[seg.index]!;
    const until = Date.now() + CLAIM_WAIT_MS;
    while (!(await storage.head(key)) && Date.now() < until && !signal?.aborted) await new Promise((r) => setTimeout(r, 50));
    if (await storage.head(key)) await stored(seg, key);
    else orphans.push(seg);
  }
  return orphans;
}
