// Background of the energy-savings video: navy gradient, drifting colour blobs
// (far), flowing "energy" lines along the bottom edge (mid), bokeh (near).
import type { SKRSContext2D } from '@napi-rs/canvas';
import { type Blob, drawBlobs } from '../lib/blobs.ts';
import { drawParticles, makeParticles } from '../lib/particles.ts';
import { drawWaves, type Waves } from '../lib/waves.ts';
import { C, camX, H, W } from './style.ts';

const BLOBS: Blob[] = [
  { color: '#1d4f8f', alpha: 0.75, r: 620, x: 260, y: 180, ax: 120, ay: 60, px: 37, py: 29, ph: 0.3, depth: 0.2 },
  { color: C.teal, alpha: 0.42, r: 520, x: 1040, y: 560, ax: 140, ay: 70, px: 31, py: 23, ph: 1.7, depth: 0.35 },
  { color: '#ffb84a', alpha: 0.34, r: 380, x: 1010, y: 130, ax: 110, ay: 50, px: 27, py: 33, ph: 4.1, depth: 0.45 },
  { color: '#2a7fb8', alpha: 0.4, r: 480, x: 180, y: 640, ax: 130, ay: 60, px: 41, py: 26, ph: 2.6, depth: 0.3 },
  { color: C.teal, alpha: 0.22, r: 360, x: 620, y: 330, ax: 200, ay: 80, px: 23, py: 19, ph: 5.2, depth: 0.55 },
];

const PARTICLE_MARGIN = 40;
const PARTICLES = makeParticles({
  seed: 0x6b617361 /* "kasa" */, count: 46, width: W, height: H, margin: PARTICLE_MARGIN,
  radius: [2.5, 10], sway: [8, 22], alpha: [0.1, 0.22], colors: [C.tealLight, C.yellow, C.white, C.white],
});

const ENERGY_LINES: Waves = {
  count: 4, base: 652, spacing: 16, speed: [0.35, 0.12], alpha: [0.1, 0.03], color: (i) => (i % 2 === 0 ? C.tealLight : C.yellow),
  amp: [9, 5], wavelength: [160, 71], phase: [1.1, 2.3], counter: 1.7, width: W, lineWidth: 1.6, step: 20,
};

/** quiet(t, y): alpha factor for the bokeh over the personalized overlay bands. */
export function drawBackground(ctx: SKRSContext2D, t: number, quiet: (t: number, y: number) => number): void {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, C.navyTop);
  g.addColorStop(1, C.navyBottom);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
  const cam = camX(t);
  drawBlobs(ctx, BLOBS, t, { pulse: 0.06, mid: [0.45, 0.45], cam });
  drawWaves(ctx, { ...ENERGY_LINES, shift: cam * 0.6 }, t); // below every overlay band
  drawParticles(ctx, PARTICLES, t, { width: W, height: H, margin: PARTICLE_MARGIN, speed: [6, 22], mid: [0.4, 0.6], quiet, cam });
}
