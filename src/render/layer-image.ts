// One layer's overlay image for one person, as the watch page composites it in
// the browser when the server's personal segments are not ready yet: the very
// PNG the renderer hands to ffmpeg (personalize.ts overlaysFor → drawLayer),
// box-sized with its alpha, so both composites start from the same pixels.
import type { Storage } from '../storage/storage.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import { drawLayer, ensureFonts, type DrawContext } from '../overlays/index.ts';
import { registerPackageFonts } from './personalize.ts';

export async function drawLayerImage(plan: TemplatePlan, data: Record<string, unknown>, storage: Storage, ctx: DrawContext, index: number): Promise<Buffer> {
  const layer = plan.manifest.layers[index];
  if (!layer) throw new Error(`template has no layer ${index}`);
  ensureFonts();
  await registerPackageFonts(plan, storage);
  return (await drawLayer(layer, data, ctx)).png;
}
