// Background of the phone-plan video: a violet gradient with colour blobs
// whose emphasis shifts per scene (drawn at quarter resolution), bokeh, and
// faint "signal" waves along the lower edge.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { createCanvas } from '@napi-rs/canvas';
import { smooth } from '../lib/anim.ts';
import { type Blob, drawBlobs } from '../lib/blobs.ts';
import { drawParticles, makeParticles } from '../lib/particles.ts';
import { drawWaves, type Waves } from '../lib/waves.ts';
import { C, H, W } from './style.ts';

const BLOBS: Blob[] = [
  { color: C.lilac, alpha: 0.42, r: 760, x: 180, y: 520, ax: 120, ay: 140, px: 37, py: 29, ph: 0.3 },
  { color: C.coral, alpha: 0.36, r: 680, x: 960, y: 300, ax: 110, ay: 120, px: 31, py: 41, ph: 1.7 },
  { color: C.mint, alpha: 0.22, r: 640, x: 900, y: 1320, ax: 140, ay: 160, px: 27, py: 33, ph: 4.1 },
  { color: C.peach, alpha: 0.3, r: 720, x: 160, y: 1700, ax: 120, ay: 110, px: 43, py: 26, ph: 2.6 },
  { color: '#6b55e0', alpha: 0.34, r: 820, x: 560, y: 1040, ax: 180, ay: 200, px: 23, py: 35, ph: 5.2 },
];

/** Per-scene emphasis of the blobs (crossfaded from each start time), so each scene has its own tint. */
export type SceneTint = [number, number[]][];

function tint(tints: SceneTint, t: number, i: number): number {
  let v = tints[0]?.[1][i] ?? 1;
  for (const [t0, w] of tints) {
    const k = smooth((t - t0 + 0.6) / 1.2);
    v = v + ((w[i] ?? 1) - v) * k;
  }
  return v;
}

// The soft background is drawn at a quarter of the resolution and scaled up:
// it is all blur anyway, and it costs 1/16 of the pixels.
const BG_SCALE = 4;
const bgCanvas = createCanvas(W / BG_SCALE, H / BG_SCALE);

export function drawBackground(ctx: SKRSContext2D, t: number, tints: SceneTint): void {
  const b = bgCanvas.getContext('2d');
  b.save();
  b.setTransform(1 / BG_SCALE, 0, 0, 1 / BG_SCALE, 0, 0);
  b.globalCompositeOperation = 'source-over';
  const g = b.createLinearGradient(0, 0, W * 0.3, H);
  g.addColorStop(0, C.bgTop);
  g.addColorStop(0.55, C.bgMid);
  g.addColorStop(1, C.bgBottom);
  b.fillStyle = g;
  b.fillRect(0, 0, W, H);
  drawBlobs(b, BLOBS, t, { pulse: 0.07, mid: [0.5, 0.4], alphaAt: (bl, i) => Math.min(0.8, bl.alpha * tint(tints, t, i)) });
  b.restore();
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'low'; // bilinear: smooth enough for blur, 2× cheaper than 'high'
  ctx.drawImage(bgCanvas, 0, 0, W, H);
  ctx.restore();
}

const PARTICLE_MARGIN = 60;
const PARTICLES = makeParticles({
  seed: 0x6d6f6269 /* "mobi" */, count: 38, width: W, height: H, margin: PARTICLE_MARGIN,
  radius: [3, 12], sway: [10, 26], alpha: [0.08, 0.2], colors: [C.lilacLight, C.mintLight, C.peach, C.white, C.white],
});

/** quiet(t, y): alpha factor over the personalized overlay regions. */
export function drawBokeh(ctx: SKRSContext2D, t: number, quiet: (t: number, y: number) => number): void {
  drawParticles(ctx, PARTICLES, t, { width: W, height: H, margin: PARTICLE_MARGIN, speed: [8, 26], mid: [0.4, 0.55], quiet });
}

const WAVE_COLORS = [C.mintLight, C.lilacLight, C.peach];
const SIGNAL_WAVES: Waves = {
  count: 3, base: 1548, spacing: 14, speed: [0.32, 0.1], alpha: [0.11, 0.02], color: (i) => WAVE_COLORS[i] ?? C.white,
  amp: [10, 5], wavelength: [170, 67], phase: [1.3, 2.1], counter: 1.6, width: W, lineWidth: 2, step: 18,
};

/** Behind the bottom captions. */
export function drawSignalWaves(ctx: SKRSContext2D, t: number): void {
  drawWaves(ctx, SIGNAL_WAVES, t);
}
