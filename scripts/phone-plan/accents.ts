// Quiet decoration around the overlay regions of scenes 2 and 3: a soft light
// "stage", twinkling sparkles, drifting gold coins.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { easeOutBack, rgba, smooth, TAU, win } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { radialGlow } from '../lib/glow.ts';
import { sparklePath } from '../lib/shapes.ts';
import { C, W } from './style.ts';

/** A soft light ellipse behind an overlay region (no edges, nothing to read). */
export function drawStage(ctx: SKRSContext2D, t: number, t0: number, t1: number, cy: number, ry: number, color: string): void {
  const a = win(t, t0 - 0.2, t1, 0.6);
  if (a <= 0) return;
  ctx.save();
  ctx.globalAlpha = a;
  ctx.translate(W / 2, cy);
  ctx.scale(1, ry / 560);
  radialGlow(ctx, 0, 0, 560, [
    [0, rgba(color, 0.13)],
    [0.6, rgba(color, 0.05)],
    [1, rgba(color, 0)],
  ]);
  ctx.restore();
}

/** In the gaps around the items region. */
const SPARKLES = [
  { x: 118, y: 500, s: 20, ph: 0 },
  { x: 968, y: 470, s: 26, ph: 1.3 },
  { x: 930, y: 1440, s: 18, ph: 2.2 },
  { x: 150, y: 1420, s: 24, ph: 3.4 },
  { x: 540, y: 400, s: 14, ph: 4.4 },
];

/** Twinkling four-point sparkles. */
export function drawSparkles(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  eachSpot(ctx, t, t0, t1, SPARKLES, (sp, _i, a) => {
    const tw = 0.5 + 0.5 * Math.sin(t * 2.1 + sp.ph);
    ctx.globalAlpha = a * (0.35 + 0.5 * tw);
    ctx.fillStyle = C.gold;
    sparklePath(ctx, sp.x, sp.y, sp.s * (0.7 + 0.3 * tw));
    ctx.fill();
  });
}

/** In the gap between the caption and the chart. */
const COINS = [
  { x: 150, y: 430, r: 40, ph: 0 },
  { x: 930, y: 400, r: 50, ph: 1.4 },
  { x: 860, y: 520, r: 30, ph: 2.8 },
];

/** Gold coins popping in, bobbing and slowly spinning. */
export function drawCoins(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const lt = t - t0;
  eachSpot(ctx, t, t0, t1, COINS, (c, i, a) => {
    const k = easeOutBack((lt - 0.3 - i * 0.2) / 0.8);
    if (k <= 0) return;
    const y = c.y + 10 * Math.sin((TAU * t) / 4 + c.ph) + (1 - k) * 40;
    const squash = Math.abs(Math.cos((TAU * t) / 5 + c.ph)) * 0.25 + 0.75; // slow spin
    ctx.globalAlpha = a * smooth((lt - 0.3 - i * 0.2) / 0.4);
    ctx.translate(c.x, y);
    ctx.scale(squash, 1);
    drawCoin(ctx, c.r);
  });
}

/** While the window [t0, t1] (0.5 s fades) shows, draws each spot with the window's alpha a, ctx saved around each. */
function eachSpot<S>(ctx: SKRSContext2D, t: number, t0: number, t1: number, spots: S[], draw: (s: S, i: number, a: number) => void): void {
  const a = win(t, t0, t1, 0.5);
  if (a <= 0) return;
  spots.forEach((s, i) => {
    ctx.save();
    draw(s, i, a);
    ctx.restore();
  });
}

/** A ¥ coin of radius r at the origin. */
function drawCoin(ctx: SKRSContext2D, r: number): void {
  const g = ctx.createLinearGradient(-r, -r, r, r);
  g.addColorStop(0, '#ffe7a6');
  g.addColorStop(1, '#f2b84b');
  ctx.fillStyle = g;
  ctx.beginPath();
  ctx.arc(0, 0, r, 0, TAU);
  ctx.fill();
  ctx.strokeStyle = 'rgba(255,255,255,0.6)';
  ctx.lineWidth = r * 0.08;
  ctx.beginPath();
  ctx.arc(0, 0, r * 0.78, 0, TAU);
  ctx.stroke();
  ctx.fillStyle = '#b97a14';
  ctx.font = `700 ${Math.round(r * 1.05)}px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText('¥', 0, r * 0.37);
}
