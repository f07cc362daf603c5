// The far background layer: large soft colour blobs drifting on slow
// Lissajous paths, blended with 'screen'.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { TAU } from './anim.ts';
import { softSpot } from './glow.ts';

export interface Blob {
  color: string;
  alpha: number;
  r: number;
  x: number;
  y: number;
  ax: number;
  ay: number;
  px: number; // period (s) of horizontal drift
  py: number;
  ph: number;
  depth?: number; // parallax factor (0: none)
}

export interface BlobLook {
  /** Relative radius breathing (period 17 s). */
  pulse: number;
  /** Gradient mid stop: [offset, alpha factor]. */
  mid: [number, number];
  /** Horizontal camera offset for parallax, times each blob's depth. */
  cam?: number;
  /** Alpha of blob i at t (default: its own alpha). */
  alphaAt?: (b: Blob, i: number) => number;
}

export function drawBlobs(ctx: SKRSContext2D, blobs: Blob[], t: number, look: BlobLook): void {
  const cam = look.cam ?? 0;
  ctx.save();
  ctx.globalCompositeOperation = 'screen';
  blobs.forEach((b, i) => {
    const x = b.x + b.ax * Math.sin((TAU * t) / b.px + b.ph) - cam * (b.depth ?? 0);
    const y = b.y + b.ay * Math.sin((TAU * t) / b.py + b.ph * 1.3);
    const r = b.r * (1 + look.pulse * Math.sin((TAU * t) / 17 + b.ph));
    softSpot(ctx, x, y, r, b.color, look.alphaAt ? look.alphaAt(b, i) : b.alpha, look.mid);
  });
  ctx.restore();
}
