// Scene "100% renewable": a sun with turning rays, and two layers of hills
// with wind turbines scrolling at different parallax speeds, rising in.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { rgba, TAU } from '../lib/anim.ts';
import { radialGlow } from '../lib/glow.ts';
import { entrance } from '../lib/scene-timing.ts';
import { C, camX, H, W } from './style.ts';

export function drawRenewable(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const e = entrance(t, t0, t1, 0.45, 0.9, 80);
  if (!e) return;
  const lt = t - t0;
  const up = e.offset;
  const cam = camX(t);
  ctx.save();
  ctx.globalAlpha = e.alpha;
  drawSun(ctx, 1030 - cam * 0.15, 318 + up * 0.3, lt);

  // far hills + turbines (slow parallax), near hills + turbines (faster)
  ctx.translate(0, up);
  const farShift = cam * 0.4 + lt * 4;
  ctx.fillStyle = 'rgba(22,110,120,0.55)';
  hillPath(ctx, 610, 46, 0.0052, farShift);
  ctx.fill();
  ctx.fillStyle = 'rgba(235,248,250,0.55)';
  drawTurbine(ctx, 820 - farShift * 0.3, 598, 150, lt * 1.5 + 0.7);
  drawTurbine(ctx, 930 - farShift * 0.3, 604, 120, lt * 1.8 + 2.1);

  const nearShift = cam * 0.9 + lt * 9;
  const hg = ctx.createLinearGradient(0, 600, 0, H);
  hg.addColorStop(0, 'rgba(34,184,170,0.85)');
  hg.addColorStop(1, 'rgba(10,70,90,0.95)');
  ctx.fillStyle = hg;
  hillPath(ctx, 672, 40, 0.0038, nearShift + 300);
  ctx.fill();
  ctx.fillStyle = 'rgba(255,255,255,0.92)';
  drawTurbine(ctx, 250 - nearShift * 0.2, 650, 250, lt * 1.2);
  drawTurbine(ctx, 430 - nearShift * 0.2, 660, 190, lt * 1.35 + 1.2);
  ctx.restore();
}

function drawSun(ctx: SKRSContext2D, sx: number, sy: number, lt: number): void {
  radialGlow(ctx, sx, sy, 190, [
    [0, rgba(C.yellow, 0.45)],
    [1, rgba(C.yellow, 0)],
  ]);
  ctx.strokeStyle = rgba(C.yellow, 0.55);
  ctx.lineWidth = 3;
  ctx.lineCap = 'round';
  for (let k = 0; k < 12; k++) {
    const ang = (k * TAU) / 12 + lt * 0.25;
    ctx.beginPath();
    ctx.moveTo(sx + Math.cos(ang) * 66, sy + Math.sin(ang) * 66);
    ctx.lineTo(sx + Math.cos(ang) * 84, sy + Math.sin(ang) * 84);
    ctx.stroke();
  }
  ctx.fillStyle = C.yellow;
  ctx.beginPath();
  ctx.arc(sx, sy, 48, 0, TAU);
  ctx.fill();
}

/** Mast, three blades at `angle` and hub, in the current fill style. */
function drawTurbine(ctx: SKRSContext2D, x: number, baseY: number, h: number, angle: number): void {
  const hubY = baseY - h;
  ctx.beginPath();
  ctx.moveTo(x - h * 0.028, baseY);
  ctx.lineTo(x - h * 0.012, hubY);
  ctx.lineTo(x + h * 0.012, hubY);
  ctx.lineTo(x + h * 0.028, baseY);
  ctx.closePath();
  ctx.fill();
  const L = h * 0.58;
  const w = h * 0.03;
  for (let k = 0; k < 3; k++) {
    ctx.save();
    ctx.translate(x, hubY);
    ctx.rotate(angle + (k * TAU) / 3);
    ctx.beginPath();
    ctx.moveTo(0, -w * 0.6);
    ctx.quadraticCurveTo(L * 0.3, -w * 1.9, L, 0);
    ctx.quadraticCurveTo(L * 0.3, w * 0.9, 0, w * 0.6);
    ctx.closePath();
    ctx.fill();
    ctx.restore();
  }
  ctx.beginPath();
  ctx.arc(x, hubY, w * 1.1, 0, TAU);
  ctx.fill();
}

/** Closed path of a hill line (two sines) down to the frame bottom. */
function hillPath(ctx: SKRSContext2D, base: number, amp: number, freq: number, shift: number): void {
  ctx.beginPath();
  ctx.moveTo(0, H);
  for (let x = 0; x <= W; x += 16) {
    ctx.lineTo(x, base - amp * (0.5 + 0.5 * Math.sin((x + shift) * freq)) - amp * 0.35 * Math.sin((x + shift) * freq * 2.3 + 1));
  }
  ctx.lineTo(W, H);
  ctx.closePath();
}
