// Scene "new plan": a glass panel with monthly bars that shrink, and a dashed
// trend line drawn across their tops once they are up.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { easeOut, easeOutBack, rgba } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { entrance } from '../lib/scene-timing.ts';
import { C } from './style.ts';

const PANEL = { x: 400, w: 480, h: 350 };
const HEIGHTS = [1.0, 0.93, 0.85, 0.77, 0.69, 0.62];

/** Shown from t0 to t1, floating gently. */
export function drawPlanChart(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const e = entrance(t, t0, t1, 0.4, 0.6, 24);
  if (!e) return;
  const lt = t - t0;
  const y0 = 252 + e.offset + 4 * Math.sin(lt * 1.3); // floating gently
  ctx.save();
  ctx.globalAlpha = e.alpha;
  drawPanel(ctx, y0);
  const tops = drawBars(ctx, y0, lt);
  drawTrend(ctx, tops, easeOut((lt - 1.2) / 1.2));
  ctx.restore();
}

function drawPanel(ctx: SKRSContext2D, y0: number): void {
  const { x: x0, w: pw, h: ph } = PANEL;
  ctx.fillStyle = 'rgba(255,255,255,0.08)';
  ctx.strokeStyle = 'rgba(255,255,255,0.2)';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.roundRect(x0, y0, pw, ph, 22);
  ctx.fill();
  ctx.stroke();

  ctx.fillStyle = C.white;
  ctx.font = `700 20px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.fillText('月々の電気代（イメージ）', x0 + 32, y0 + 48);
  ctx.fillStyle = C.tealLight;
  ctx.font = `400 15px ${FONT}`;
  ctx.fillText('新プランで、ムリなく節約', x0 + 32, y0 + 74);
}

/** Bars growing one after another; returns the points above their tops. */
function drawBars(ctx: SKRSContext2D, y0: number, lt: number): [number, number][] {
  const { x: x0, w: pw, h: ph } = PANEL;
  const baseY = y0 + ph - 58;
  const maxH = 185;
  const bw = 42;
  const gap = (pw - 64 - HEIGHTS.length * bw) / (HEIGHTS.length - 1);
  const tops: [number, number][] = [];
  ctx.strokeStyle = 'rgba(255,255,255,0.25)';
  ctx.beginPath();
  ctx.moveTo(x0 + 28, baseY + 0.5);
  ctx.lineTo(x0 + pw - 28, baseY + 0.5);
  ctx.stroke();
  HEIGHTS.forEach((hRatio, i) => {
    const grow = easeOutBack((lt - 0.25 - i * 0.12) / 0.7);
    const bh = maxH * hRatio * grow;
    const bx = x0 + 32 + i * (bw + gap);
    const g = ctx.createLinearGradient(0, baseY - maxH, 0, baseY);
    g.addColorStop(0, i === 0 ? '#8aa4c4' : C.yellow);
    g.addColorStop(1, i === 0 ? '#4d6b92' : C.teal);
    ctx.fillStyle = g;
    if (bh > 0.5) {
      ctx.beginPath();
      ctx.roundRect(bx, baseY - bh, bw, bh, [8, 8, 0, 0]);
      ctx.fill();
    }
    tops.push([bx + bw / 2, baseY - bh - 14]);
    ctx.fillStyle = 'rgba(255,255,255,0.75)';
    ctx.font = `400 14px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.fillText(`${i + 1}月`, bx + bw / 2, baseY + 26);
  });
  return tops;
}

/** The dashed line through `tops`, drawn up to `prog` (0..1) of its length. */
function drawTrend(ctx: SKRSContext2D, tops: [number, number][], prog: number): void {
  if (prog <= 0) return;
  ctx.strokeStyle = rgba(C.yellow, 0.9);
  ctx.lineWidth = 2.5;
  ctx.setLineDash([7, 6]);
  ctx.beginPath();
  const n = (tops.length - 1) * prog;
  for (let i = 0; i <= Math.ceil(n); i++) {
    const p = tops[Math.min(i, tops.length - 1)];
    const q = tops[Math.max(0, i - 1)];
    if (!p || !q) continue;
    const f = i > n ? n - (i - 1) : 1;
    const x = q[0] + (p[0] - q[0]) * f;
    const y = q[1] + (p[1] - q[1]) * f;
    if (i === 0) ctx.moveTo(p[0], p[1]);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
  ctx.setLineDash([]);
}
