// The near background layer: bokeh particles rising slowly (faster when
// "closer"), swaying, and fading out where personalized overlays go.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { mulberry32, TAU } from './anim.ts';
import { softSpot } from './glow.ts';

export interface Particle {
  x: number;
  y: number;
  r: number;
  depth: number;
  sway: number;
  swayPeriod: number;
  ph: number;
  alpha: number;
  color: string;
}

/** Each range is [base, spread]: base + spread × (random or depth²). */
export interface ParticleField {
  seed: number;
  count: number;
  width: number;
  height: number;
  /** Particles wrap around this far outside the top and bottom edges. */
  margin: number;
  radius: [number, number];
  sway: [number, number];
  alpha: [number, number];
  colors: string[];
}

export function makeParticles(f: ParticleField): Particle[] {
  const rnd = mulberry32(f.seed);
  const out: Particle[] = [];
  for (let i = 0; i < f.count; i++) {
    const depth = 0.25 + 0.75 * rnd();
    out.push({
      x: rnd() * f.width,
      y: rnd() * (f.height + 2 * f.margin),
      r: f.radius[0] + f.radius[1] * depth * depth,
      depth,
      sway: f.sway[0] + f.sway[1] * rnd(),
      swayPeriod: 6 + 8 * rnd(),
      ph: rnd() * TAU,
      alpha: f.alpha[0] + f.alpha[1] * rnd(),
      color: f.colors[Math.floor(rnd() * f.colors.length)] ?? '#ffffff',
    });
  }
  return out;
}

export interface ParticleMotion {
  width: number;
  height: number;
  margin: number;
  /** Rise speed px/s: [base, per depth]. */
  speed: [number, number];
  /** Gradient mid stop: [offset, alpha factor]. */
  mid: [number, number];
  /** Alpha factor at (t, y): 1 in the open, less over overlay bands. */
  quiet: (t: number, y: number) => number;
  /** Camera offset for parallax; when given, particles also wrap horizontally. */
  cam?: number;
}

export function drawParticles(ctx: SKRSContext2D, particles: Particle[], t: number, m: ParticleMotion): void {
  const span = m.height + 2 * m.margin;
  for (const p of particles) {
    let y = (p.y - t * (m.speed[0] + m.speed[1] * p.depth)) % span;
    if (y < 0) y += span;
    y -= m.margin;
    let x = p.x + p.sway * Math.sin((TAU * t) / p.swayPeriod + p.ph);
    if (m.cam !== undefined) {
      const wrap = m.width + 40;
      x = ((((x - m.cam * (0.6 + p.depth)) % wrap) + wrap) % wrap) - 20;
    }
    const a = p.alpha * m.quiet(t, y);
    if (a < 0.004) continue;
    softSpot(ctx, x, y, p.r * 2.2, p.color, a, m.mid);
  }
}
