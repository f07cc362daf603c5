// Text at the top and bottom of the phone-plan scenes: the top caption of each
// scene, and the bottom line of scene 1 (tagline), 2 (campaign pill) and
// 3 (feature chips and the estimate note).
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { easeOutBack, rgba, smooth, win } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { type Caption, entrance } from '../lib/scene-timing.ts';
import { gradientPill, shineSweep } from '../lib/shapes.ts';
import { spacedText, spacedWidth } from '../lib/spaced-text.ts';
import { sprite } from '../lib/sprites.ts';
import { C, W } from './style.ts';

function captionSprite(c: Caption): Canvas {
  return sprite(`cap:${c.text}`, W, 150, (s) => {
    // local y = frame y - 115
    s.font = `700 24px ${FONT}`;
    s.fillStyle = C.mintLight;
    spacedText(s, c.label, W / 2, 158 - 115, 7);
    const lw = spacedWidth(s, c.label, 7);
    s.strokeStyle = rgba(C.mintLight, 0.7);
    s.lineWidth = 2;
    s.lineCap = 'round';
    for (const side of [-1, 1]) {
      s.beginPath();
      s.moveTo(W / 2 + side * (lw / 2 + 18), 150 - 115);
      s.lineTo(W / 2 + side * (lw / 2 + 58), 150 - 115);
      s.stroke();
    }
    s.fillStyle = C.white;
    s.shadowColor = 'rgba(10,4,40,0.45)';
    s.shadowBlur = 16;
    s.shadowOffsetY = 2;
    s.font = `700 58px ${FONT}`;
    s.textAlign = 'center';
    s.fillText(c.text, W / 2, 230 - 115);
  });
}

export function drawTopCaption(ctx: SKRSContext2D, t: number, c: Caption): void {
  const e = entrance(t, c.t0, c.t1, 0.35, 0.6, 12);
  if (!e) return;
  ctx.save();
  ctx.globalAlpha = e.alpha;
  ctx.drawImage(captionSprite(c), 0, 115 - e.offset);
  ctx.restore();
}

/** Bottom line of scene 1. */
export function drawHeroTagline(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const e = entrance(t, t0, t1, 0.45, 0.8, 16);
  if (!e) return;
  const s = sprite('hero-tagline', W, 120, (c) => {
    c.fillStyle = C.white;
    c.font = `700 46px ${FONT}`;
    c.textAlign = 'center';
    c.shadowColor = 'rgba(10,4,40,0.4)';
    c.shadowBlur = 14;
    c.fillText('あなたにぴったりの、スマホ生活を。', W / 2, 62);
  });
  ctx.save();
  ctx.globalAlpha = e.alpha;
  ctx.drawImage(s, 0, 1600 + e.offset);
  ctx.restore();
}

/** Bottom of scene 2: a campaign pill with a slow shine. */
export function drawCampaignPill(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const e = entrance(t, t0, t1, 0.4, 0.7, 18);
  if (!e) return;
  const lt = t - t0;
  const pw = 760;
  const ph = 100;
  const x = (W - pw) / 2;
  const y = 1612 + e.offset;
  ctx.save();
  ctx.globalAlpha = e.alpha;
  ctx.shadowColor = 'rgba(240,82,122,0.45)';
  ctx.shadowBlur = 30;
  gradientPill(ctx, x, y, pw, ph, C.coral, '#ff9a7a');
  ctx.shadowBlur = 0;
  // shine sweep every 3 s
  const sweep = ((lt - 0.8) % 3) / 1.1;
  if (lt > 0.8 && sweep < 1) shineSweep(ctx, x, y, pw, ph, sweep);
  const s = sprite('campaign-text', pw, ph, (c) => {
    c.fillStyle = C.white;
    const lead = 'いまなら';
    c.font = `700 30px ${FONT}`;
    const w1 = c.measureText(lead).width;
    c.font = `700 44px ${FONT}`;
    const rest = 'ポイント最大10%還元';
    const w2 = c.measureText(rest).width;
    const gap = 18;
    const x0 = (pw - (w1 + gap + w2)) / 2;
    c.textAlign = 'left';
    c.font = `700 30px ${FONT}`;
    c.fillText(lead, x0, 63);
    c.font = `700 44px ${FONT}`;
    c.fillText(rest, x0 + w1 + gap, 66);
  });
  ctx.drawImage(s, x, y);
  ctx.restore();
}

/** Bottom of scene 3: feature chips and the estimate note. */
export function drawFeatureChips(ctx: SKRSContext2D, t: number, t0: number, t1: number): void {
  const a = win(t, t0, t1, 0.4);
  if (a <= 0) return;
  const lt = t - t0;
  const chips = ['5G対応', 'データ繰り越し', '家族割でさらにおトク'];
  ctx.save();
  ctx.font = `700 30px ${FONT}`;
  const pad = 28;
  const gap = 18;
  const widths = chips.map((c) => ctx.measureText(c).width + 2 * pad);
  const total = widths.reduce((s, w) => s + w, 0) + gap * (chips.length - 1);
  let x = (W - total) / 2;
  chips.forEach((label, i) => {
    const w = widths[i] ?? 0;
    const k = easeOutBack((lt - i * 0.15) / 0.6);
    const bob = 4 * Math.sin(t * 1.4 + i * 1.9);
    const y = 1610 + (1 - k) * 30 + bob;
    ctx.globalAlpha = a * smooth((lt - i * 0.15) / 0.4);
    ctx.fillStyle = 'rgba(255,255,255,0.13)';
    ctx.strokeStyle = rgba(C.mintLight, 0.55);
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.roundRect(x, y, w, 68, 34);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = C.white;
    ctx.textAlign = 'center';
    ctx.fillText(label, x + w / 2, y + 45);
    x += w + gap;
  });
  ctx.globalAlpha = a * 0.7;
  ctx.fillStyle = C.white;
  ctx.font = `400 24px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText('※試算はイメージです。実際の料金はご利用状況により異なります。', W / 2, 1738);
  ctx.restore();
}
