// Small reusable paths and effects.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { easeInOut, TAU } from './anim.ts';

/** Path of a four-point sparkle (concave star) of half-size s at (x, y); fill it. */
export function sparklePath(ctx: SKRSContext2D, x: number, y: number, s: number): void {
  ctx.beginPath();
  ctx.moveTo(x, y - s);
  ctx.quadraticCurveTo(x, y, x + s, y);
  ctx.quadraticCurveTo(x, y, x, y + s);
  ctx.quadraticCurveTo(x, y, x - s, y);
  ctx.quadraticCurveTo(x, y, x, y - s);
}

/** A soft white band sweeping across a pill (radius h/2) at x, y; progress 0..1. */
export function shineSweep(ctx: SKRSContext2D, x: number, y: number, w: number, h: number, progress: number): void {
  ctx.save();
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, h / 2);
  ctx.clip();
  const sx = x - 160 + (w + 320) * easeInOut(progress);
  const sg = ctx.createLinearGradient(sx - 90, 0, sx + 90, 0);
  sg.addColorStop(0, 'rgba(255,255,255,0)');
  sg.addColorStop(0.5, 'rgba(255,255,255,0.35)');
  sg.addColorStop(1, 'rgba(255,255,255,0)');
  ctx.fillStyle = sg;
  ctx.fillRect(sx - 90, y, 180, h);
  ctx.restore();
}

/** Fills a horizontal-gradient pill (radius h/2); shadow settings are the caller's. */
export function gradientPill(ctx: SKRSContext2D, x: number, y: number, w: number, h: number, from: string, to: string): void {
  const g = ctx.createLinearGradient(x, 0, x + w, 0);
  g.addColorStop(0, from);
  g.addColorStop(1, to);
  ctx.fillStyle = g;
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, h / 2);
  ctx.fill();
}

/** A disc filled with `fill` and outlined in `ring` (lineWidth 3). */
export function ringDisc(ctx: SKRSContext2D, x: number, y: number, r: number, fill: string, ring: string): void {
  ctx.fillStyle = fill;
  ctx.strokeStyle = ring;
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.arc(x, y, r, 0, TAU);
  ctx.fill();
  ctx.stroke();
}

/** Adds a closed polygon through `points` to the current path. */
export function polygon(ctx: SKRSContext2D, points: [number, number][]): void {
  points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
  ctx.closePath();
}
