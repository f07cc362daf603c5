// Radial-gradient light: soft spots (blobs, bokeh, sun glow, halos) and the
// cached edge vignette. A spot fills exactly the square its gradient covers.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { rgba } from './anim.ts';
import { sprite } from './sprites.ts';

/** Fills the square around (x, y) with a radial gradient from radius 0 to r. */
export function radialGlow(ctx: SKRSContext2D, x: number, y: number, r: number, stops: [number, string][]): void {
  const g = ctx.createRadialGradient(x, y, 0, x, y, r);
  for (const [offset, color] of stops) g.addColorStop(offset, color);
  ctx.fillStyle = g;
  ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
}

/** A soft dot of one colour: `alpha` at the centre, alpha×mid[1] at offset mid[0], clear at r. */
export function softSpot(ctx: SKRSContext2D, x: number, y: number, r: number, color: string, alpha: number, mid: [number, number]): void {
  radialGlow(ctx, x, y, r, [
    [0, rgba(color, alpha)],
    [mid[0], rgba(color, alpha * mid[1])],
    [1, rgba(color, 0)],
  ]);
}

export interface VignetteSpec {
  width: number;
  height: number;
  cx: number;
  cy: number;
  /** Clear inside r0, `edge` from r1 out. */
  r0: number;
  r1: number;
  edge: string;
}

/** Darkens the frame edges; drawn once into a cached canvas, then only blitted. */
export function drawVignette(ctx: SKRSContext2D, v: VignetteSpec): void {
  const canvas = sprite('vignette', v.width, v.height, (c) => {
    const rg = c.createRadialGradient(v.cx, v.cy, v.r0, v.cx, v.cy, v.r1);
    rg.addColorStop(0, 'rgba(0,0,0,0)');
    rg.addColorStop(1, v.edge);
    c.fillStyle = rg;
    c.fillRect(0, 0, v.width, v.height);
  });
  ctx.drawImage(canvas, 0, 0);
}
