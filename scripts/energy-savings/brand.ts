// The 「かさねでんき」 brand: logo, opening title card, corner bug, footnote.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { easeOut, smooth, win } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { drawWordmark } from '../lib/wordmark.ts';
import { C, H, W } from './style.ts';

/** 「重ね」 logo: three stacked rhombus layers. s = half width. */
export function drawLogo(ctx: SKRSContext2D, cx: number, cy: number, s: number, alpha: number): void {
  const layers: [string, number][] = [
    ['#3b82c4', 0.55],
    [C.teal, 0],
    [C.yellow, -0.55],
  ];
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.lineJoin = 'round';
  for (const [color, off] of layers) {
    const y = cy + off * s;
    ctx.beginPath();
    ctx.moveTo(cx - s, y);
    ctx.lineTo(cx, y - s * 0.5);
    ctx.lineTo(cx + s, y);
    ctx.lineTo(cx, y + s * 0.5);
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.strokeStyle = color;
    ctx.lineWidth = s * 0.12;
    ctx.globalAlpha = alpha * 0.92;
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}

/** Centred logo and name, slowly settling, between t0 and t1. */
export function drawTitleCard(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const a = win(t, t0, t1, 0.3);
  if (a <= 0) return;
  const s = 1.04 - 0.04 * easeOut((t - t0) / (t1 - t0));
  ctx.save();
  ctx.globalAlpha = a;
  ctx.translate(W / 2, 350);
  ctx.scale(s, s);
  ctx.translate(-W / 2, -350);
  const halo = ctx.createRadialGradient(W / 2, 330, 0, W / 2, 330, 360);
  halo.addColorStop(0, 'rgba(120,220,210,0.16)');
  halo.addColorStop(1, 'rgba(120,220,210,0)');
  ctx.fillStyle = halo;
  ctx.fillRect(W / 2 - 360, 0, 720, 700);
  drawLogo(ctx, W / 2, 255, 54, 1);
  drawWordmark(
    ctx,
    W / 2,
    { text: 'かさねでんき', size: 88, y: 405, shadow: 'rgba(0,0,0,0.35)', blur: 18 },
    { text: 'KASANE DENKI', size: 18, y: 448, color: C.tealLight, spacing: 9 },
  );
  ctx.restore();
}

/** Small logo and name top left, between t0 and t1. */
export function drawCornerBug(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const a = 0.92 * win(t, t0, t1, 0.5);
  if (a <= 0) return;
  ctx.save();
  ctx.globalAlpha = a;
  drawLogo(ctx, 58, 50, 15, 1);
  ctx.fillStyle = C.white;
  ctx.font = `700 21px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.fillText('かさねでんき', 84, 58);
  ctx.restore();
}

export function drawFootnote(ctx: SKRSContext2D, t: number): void {
  ctx.save();
  ctx.globalAlpha = 0.5 * smooth(t / 0.5);
  ctx.fillStyle = C.white;
  ctx.font = `400 13px ${FONT}`;
  ctx.textAlign = 'right';
  ctx.fillText('※サンプル映像です。社名・内容は架空のものです。', W - 36, H - 22);
  ctx.restore();
}
