// Where and how opaque a layer is on frame f, as the server's compositor draws it
// (src/render/render-pass.ts overlayChain, src/viewer/composite.ts).
import type { CompositeLayer } from './contract.ts';

export interface Pose {
  alpha: number;
  x: number;
  y: number;
}

type Edge = 'left' | 'right' | 'top' | 'bottom';

/** Slides move the layer `off` pixels towards the edge it comes from or goes to. */
function shift(edge: Edge, off: number, pos: { x: number; y: number }): void {
  if (edge === 'left') pos.x -= off;
  if (edge === 'right') pos.x += off;
  if (edge === 'top') pos.y -= off;
  if (edge === 'bottom') pos.y += off;
}

/** null: not shown on this frame (outside its window, or faded to nothing). */
export function layerPose(l: CompositeLayer, f: number, rate: number): Pose | null {
  if (f < l.startFrame || f >= l.endFrame) return null;
  const since = (f - l.startFrame) / rate, until = (l.endFrame - f) / rate;
  let a = 1;
  const pos = { x: l.x, y: l.y };
  // Alpha ramps as ffmpeg's fade filter: 0 on the first frame, 1/rate/d on the last.
  if (l.fade.in && f < l.fade.inUntilFrame) a = Math.min(a, since / l.fade.in);
  // The fade-out starts d seconds before the end, but never before its segment's start (ffmpeg's st=max(0, …)).
  if (l.fade.out && f >= l.fade.outFromFrame) {
    const outStart = Math.max(0, (l.endFrame - l.fade.outFromFrame) / rate - l.fade.out);
    a = Math.min(a, 1 - ((f - l.fade.outFromFrame) / rate - outStart) / l.fade.out);
  }
  const si = l.slide?.in, so = l.slide?.out;
  if (si && si.duration > 0) shift(si.from, (si.distance ?? 80) * Math.max(0, 1 - since / si.duration), pos);
  if (so && so.duration > 0) shift(so.to, (so.distance ?? 80) * Math.max(0, 1 - until / so.duration), pos);
  if (a <= 0) return null;
  // ffmpeg's overlay filter truncates positions to whole, even pixels on 4:2:0 video.
  return { alpha: Math.min(1, a), x: Math.trunc(pos.x) & ~1, y: Math.trunc(pos.y) & ~1 };
}
