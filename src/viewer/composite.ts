// What the watch page needs to composite a person's overlays itself, over the
// template's shared segments, when the server's personal segments are not ready
// (the browser fallback, README "How the watch page chooses…"). Every number is
// the one the server's compositor uses (src/render/render-pass.ts overlayChain):
// frame-exact windows, fades on alpha, slide offsets, and overlay positions
// truncated to even pixels as ffmpeg's overlay filter does on yuv420p.
import type { TemplatePlan } from '../templates/plan.ts';
import { layerFrames } from '../templates/plan.ts';
import type { CompositePlan } from './page/contract.ts';

/** The template's own segment at every position (a personalized position's original, before the splice). */
export function templateSegmentPath(templateId: string, version: string, index: number): string {
  return `/s/${templateId}/${version}/template/${index}.ts`;
}

export function compositePlan(plan: TemplatePlan, token: string, ready: boolean): CompositePlan {
  const segEnd = (frame: number) => {
    const s = plan.segments.find((x) => frame >= x.startFrame && frame < x.startFrame + x.frames);
    return s ? { start: s.startFrame, end: s.startFrame + s.frames } : { start: frame, end: frame };
  };
  return {
    ready,
    width: plan.width,
    height: plan.height,
    fps: { num: plan.fps.num, den: plan.fps.den },
    frameCount: plan.frameCount,
    base: `/v/${token}/base.m3u8`,
    layers: plan.manifest.layers.map((layer, n) => {
      const { startFrame, endFrame } = layerFrames(layer, plan.fps, plan.frameCount);
      return {
        id: layer.id,
        image: `/v/${token}/layers/${n}.png`,
        x: layer.box.x,
        y: layer.box.y,
        width: layer.box.width,
        height: layer.box.height,
        startFrame,
        endFrame,
        fade: {
          in: layer.fade?.in ?? 0,
          out: layer.fade?.out ?? 0,
          inUntilFrame: segEnd(startFrame).end,
          outFromFrame: segEnd(Math.max(startFrame, endFrame - 1)).start,
        },
        slide: layer.slide ?? null,
      };
    }),
  };
}
