// The 「かさねモバイル」 brand: logo, the brand bug at the bottom, the footnote.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { rgba, smooth, TAU, win } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { sprite } from '../lib/sprites.ts';
import { C, W } from './style.ts';

/** 「重ね」 mark: three stacked rounded cards (lilac, coral, mint). s ≈ half width. */
export function drawLogo(ctx: SKRSContext2D, cx: number, cy: number, s: number, alpha = 1): void {
  const layers: [string, number][] = [
    [C.lilac, -1],
    [C.coral, 0],
    [C.mint, 1],
  ];
  const size = s * 1.15;
  const step = s * 0.3;
  ctx.save();
  ctx.globalAlpha *= alpha;
  for (const [color, k] of layers) {
    const x = cx - size / 2 + k * step;
    const y = cy - size / 2 - k * step;
    ctx.save();
    ctx.translate(x + size / 2, y + size / 2);
    ctx.rotate(-0.12);
    ctx.fillStyle = color;
    ctx.globalAlpha *= k === 1 ? 1 : 0.9;
    ctx.beginPath();
    ctx.roundRect(-size / 2, -size / 2, size, size, size * 0.26);
    ctx.fill();
    ctx.restore();
  }
  // a small white "signal" arc on the front card
  ctx.strokeStyle = rgba(C.white, 0.95);
  ctx.lineCap = 'round';
  ctx.lineWidth = s * 0.11;
  const fx = cx + step;
  const fy = cy - step;
  for (let i = 0; i < 2; i++) {
    ctx.beginPath();
    ctx.arc(fx - size * 0.18, fy + size * 0.2, size * (0.24 + i * 0.2), -Math.PI / 2 + 0.05, -0.05);
    ctx.stroke();
  }
  ctx.fillStyle = C.white;
  ctx.beginPath();
  ctx.arc(fx - size * 0.18, fy + size * 0.2, s * 0.085, 0, TAU);
  ctx.fill();
  ctx.restore();
}

/** Logo and name centred above the footnote, between t0 and t1. */
export function drawBrandBug(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const a = 0.9 * win(t, t0, t1, 0.5);
  if (a <= 0) return;
  const s = sprite('bug', 420, 70, (c) => {
    c.font = `700 32px ${FONT}`;
    const tw = c.measureText('かさねモバイル').width;
    const total = 52 + 14 + tw;
    const x0 = (420 - total) / 2;
    drawLogo(c, x0 + 26, 35, 20);
    c.fillStyle = C.white;
    c.textAlign = 'left';
    c.fillText('かさねモバイル', x0 + 52 + 14, 46);
  });
  ctx.save();
  ctx.globalAlpha = a;
  ctx.drawImage(s, (W - 420) / 2, 1772);
  ctx.restore();
}

export function drawFootnote(ctx: SKRSContext2D, t: number): void {
  const s = sprite('footnote', W, 40, (c) => {
    c.fillStyle = C.white;
    c.font = `400 22px ${FONT}`;
    c.textAlign = 'center';
    c.fillText('※サンプル映像です。社名・商品・料金は架空のものです。', W / 2, 28);
  });
  ctx.save();
  ctx.globalAlpha = 0.5 * smooth(t / 0.5);
  ctx.drawImage(s, 0, 1852);
  ctx.restore();
}
