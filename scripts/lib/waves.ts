// Faint flowing lines along the lower edge: each is the sum of two sine waves
// travelling in opposite directions.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { rgba } from './anim.ts';

export interface Waves {
  count: number;
  /** Each [value for line 0, added per line]. */
  speed: [number, number];
  alpha: [number, number];
  width: number;
  /** Baseline of line i: base + i × spacing. */
  base: number;
  spacing: number;
  color: (i: number) => string;
  lineWidth: number;
  /** Horizontal sample step (px). */
  step: number;
  /** The two sines: amplitude, wavelength (px), phase per line; the second runs `counter`× faster, backwards. */
  amp: [number, number];
  wavelength: [number, number];
  phase: [number, number];
  counter: number;
  /** Horizontal scroll (parallax), px. */
  shift?: number;
}

export function drawWaves(ctx: SKRSContext2D, w: Waves, t: number): void {
  ctx.save();
  ctx.lineWidth = w.lineWidth;
  const shift = w.shift ?? 0;
  for (let i = 0; i < w.count; i++) {
    const base = w.base + i * w.spacing;
    const speed = w.speed[0] + i * w.speed[1];
    ctx.strokeStyle = rgba(w.color(i), w.alpha[0] + w.alpha[1] * i);
    ctx.beginPath();
    for (let x = -20; x <= w.width + 20; x += w.step) {
      const xx = x + shift;
      const y =
        base +
        w.amp[0] * Math.sin(xx / w.wavelength[0] + t * speed + i * w.phase[0]) +
        w.amp[1] * Math.sin(xx / w.wavelength[1] - t * speed * w.counter + i * w.phase[1]);
      if (x === -20) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  ctx.restore();
}
