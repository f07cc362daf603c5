// Scene 1: a phone floats up with a glow and signal rings behind it, its data
// bar fills, a notification slides in; round chips bob beside it.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { easeInOut, easeOut, easeOutBack, rgba, smooth, TAU } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { radialGlow } from '../lib/glow.ts';
import { ringDisc } from '../lib/shapes.ts';
import { DATA_BAR, phoneScreenSprite } from './phone-screen.ts';
import { C } from './style.ts';

const PHONE = { cx: 540, top: 640, w: 430, h: 860 };
const BEZEL = 14;

/** Enters from t0, leaves by t1. */
export function drawHeroPhone(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const a = Math.min(smooth(t / 0.6), smooth((t1 - t) / 0.6));
  if (a <= 0) return;
  const enter = 1 - easeOut(t / 1.2);
  const exit = easeInOut((t - (t1 - 0.8)) / 0.8);
  const float = 8 * Math.sin((TAU * (t - t0)) / 4.2);
  const y = PHONE.top + (enter * 140 + exit * 120 + float);
  ctx.save();
  ctx.globalAlpha = a;
  drawGlowAndRings(ctx, t, y);
  ctx.save();
  drawPhoneBody(ctx, t, y);
  drawNotification(ctx, t, y, a);
  ctx.restore();
  drawFloatingChips(ctx, t, a, exit);
  ctx.restore();
}

/** Kept below the greeting band (y < 460). */
function drawGlowAndRings(ctx: SKRSContext2D, t: number, y: number): void {
  const { cx, h } = PHONE;
  radialGlow(ctx, cx, y + h * 0.45, 520, [
    [0, rgba(C.coral, 0.3)],
    [0.5, rgba(C.lilac, 0.12)],
    [1, rgba(C.lilac, 0)],
  ]);
  for (let k = 0; k < 3; k++) {
    const p = ((t + k * 1.2) % 3.6) / 3.6;
    const r = 250 + p * 230;
    ctx.strokeStyle = rgba(C.lilacLight, 0.26 * Math.sin(Math.PI * p) * smooth((t - 0.6) / 0.6));
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(cx, y + h * 0.42, r, 0, TAU);
    ctx.stroke();
  }
}

/** Tilting body with a gradient edge, the screen and the animated data bar (leaves the tilt applied). */
function drawPhoneBody(ctx: SKRSContext2D, t: number, y: number): void {
  const { cx, w, h } = PHONE;
  const x = cx - w / 2;
  ctx.translate(cx, y + h / 2);
  ctx.rotate(0.02 * Math.sin((TAU * t) / 6.5));
  ctx.translate(-cx, -(y + h / 2));
  ctx.shadowColor = 'rgba(8,2,30,0.55)';
  ctx.shadowBlur = 60;
  ctx.shadowOffsetY = 24;
  ctx.fillStyle = '#161033';
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, 64);
  ctx.fill();
  ctx.shadowColor = 'transparent';
  ctx.shadowBlur = 0;
  ctx.shadowOffsetY = 0;
  const edge = ctx.createLinearGradient(x, y, x + w, y + h);
  edge.addColorStop(0, rgba(C.lilacLight, 0.8));
  edge.addColorStop(1, rgba(C.coral, 0.7));
  ctx.strokeStyle = edge;
  ctx.lineWidth = 3;
  ctx.stroke();
  ctx.drawImage(phoneScreenSprite(w - 2 * BEZEL, h - 2 * BEZEL), x + BEZEL, y + BEZEL);
  const bar = 0.72 * easeOut((t - 0.9) / 1.4);
  if (bar > 0) {
    ctx.fillStyle = C.white;
    ctx.beginPath();
    ctx.roundRect(x + BEZEL + DATA_BAR.x, y + BEZEL + DATA_BAR.y, (w - 2 * BEZEL - DATA_BAR.inset) * bar, DATA_BAR.h, 6);
    ctx.fill();
  }
}

/** "Offers for you" card sliding onto the bottom of the screen from 2.2 s. */
function drawNotification(ctx: SKRSContext2D, t: number, y: number, a: number): void {
  const n = easeOutBack((t - 2.2) / 0.7) * smooth((t - 2.2) / 0.3);
  if (n <= 0) return;
  const { cx, w } = PHONE;
  const nx = cx - w / 2 + 30;
  const ny = y + BEZEL + 808 - (1 - n) * 40;
  ctx.globalAlpha = a * Math.min(1, n);
  ctx.fillStyle = 'rgba(255,255,255,0.95)';
  ctx.beginPath();
  ctx.roundRect(nx, ny - 96, w - 60, 0.001 + 84, 22);
  ctx.fill();
  ctx.fillStyle = C.coral;
  ctx.beginPath();
  ctx.arc(nx + 40, ny - 54, 18, 0, TAU);
  ctx.fill();
  ctx.fillStyle = C.white;
  ctx.font = `700 20px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText('!', nx + 40, ny - 47);
  ctx.fillStyle = C.ink;
  ctx.textAlign = 'left';
  ctx.font = `700 22px ${FONT}`;
  ctx.fillText('あなたへのおトク情報', nx + 72, ny - 62);
  ctx.font = `400 18px ${FONT}`;
  ctx.fillStyle = 'rgba(27,21,56,0.7)';
  ctx.fillText('おすすめが3件届いています', nx + 72, ny - 34);
}

const CHIPS: { x: number; y: number; label: string; color: string; ph: number }[] = [
  { x: 168, y: 820, label: '5G', color: C.mint, ph: 0 },
  { x: 912, y: 930, label: '¥', color: C.gold, ph: 2.1 },
  { x: 190, y: 1290, label: 'GB', color: C.coral, ph: 4.2 },
];

/** Left/right of the phone, popping in one after another; they sink with the phone's exit. */
function drawFloatingChips(ctx: SKRSContext2D, t: number, a: number, exit: number): void {
  CHIPS.forEach((c, i) => {
    const k = easeOutBack((t - 0.7 - i * 0.25) / 0.7);
    if (k <= 0) return;
    const bob = 10 * Math.sin((TAU * t) / 3.8 + c.ph);
    const cyy = c.y + bob + exit * 80;
    ctx.save();
    ctx.globalAlpha = a * smooth((t - 0.7 - i * 0.25) / 0.4);
    ctx.translate(c.x, cyy);
    ctx.scale(k, k);
    ringDisc(ctx, 0, 0, 58, 'rgba(255,255,255,0.14)', rgba(c.color, 0.85));
    ctx.fillStyle = c.color;
    ctx.font = `700 40px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.fillText(c.label, 0, 14);
    ctx.restore();
  });
}
