// Scene 4: the logo pops in, name and slogan rise, a pulsing CTA button with a
// shine and the URL, then three service promises.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { easeOut, easeOutBack, rgba, smooth, TAU } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { radialGlow } from '../lib/glow.ts';
import { gradientPill, shineSweep } from '../lib/shapes.ts';
import { drawWordmark } from '../lib/wordmark.ts';
import { sprite } from '../lib/sprites.ts';
import { BENEFITS, benefitSprite } from './benefits.ts';
import { drawLogo } from './brand.ts';
import { C, W } from './style.ts';

export function drawEndCard(ctx: SKRSContext2D, t: number, t0: number): void {
  const a = smooth((t - t0) / 0.6);
  if (a <= 0) return;
  const lt = t - t0;
  ctx.save();
  ctx.globalAlpha = a;
  radialGlow(ctx, W / 2, 860, 620, [
    [0, rgba(C.lilacLight, 0.2)],
    [1, rgba(C.lilacLight, 0)],
  ]);
  const pop = easeOutBack(lt / 0.8);
  ctx.save();
  ctx.translate(W / 2, 700);
  ctx.scale(pop, pop);
  ctx.rotate(0.04 * Math.sin(lt * 1.3));
  drawLogo(ctx, 0, 0, 96);
  ctx.restore();
  drawBrandLines(ctx, lt, a);
  const k = smooth((lt - 0.8) / 0.5);
  if (k > 0) drawCallToAction(ctx, lt, a, k);
  drawBenefits(ctx, t, lt, a);
  ctx.restore();
}

function drawBrandLines(ctx: SKRSContext2D, lt: number, a: number): void {
  const brand = sprite('end-brand', W, 330, (c) => {
    drawWordmark(
      c,
      W / 2,
      { text: 'かさねモバイル', size: 104, y: 110, shadow: 'rgba(10,4,40,0.4)', blur: 20 },
      { text: 'KASANE MOBILE', size: 26, y: 166, color: C.mintLight, spacing: 12 },
    );
    c.fillStyle = C.white;
    c.font = `400 44px ${FONT}`;
    c.fillText('つながる毎日を、もっと軽やかに。', W / 2, 268);
  });
  const rise = (1 - easeOut((lt - 0.25) / 0.8)) * 26;
  ctx.globalAlpha = a * smooth((lt - 0.25) / 0.5);
  ctx.drawImage(brand, 0, 820 + rise);
}

/** CTA button with a soft pulse and a shine, and the URL under it; k: fade-in 0..1. */
function drawCallToAction(ctx: SKRSContext2D, lt: number, a: number, k: number): void {
  const bw = 700;
  const bh = 128;
  const bx = (W - bw) / 2;
  const by = 1210 + (1 - easeOut((lt - 0.8) / 0.7)) * 24;
  ctx.globalAlpha = a * k;
  const pulse = 0.5 + 0.5 * Math.sin((TAU * (lt - 0.8)) / 1.8);
  ctx.shadowColor = rgba(C.coral, 0.35 + 0.25 * pulse);
  ctx.shadowBlur = 30 + 24 * pulse;
  gradientPill(ctx, bx, by, bw, bh, C.coral, '#ff9a7a');
  ctx.shadowColor = 'transparent';
  ctx.shadowBlur = 0;
  const sweep = ((lt - 1.6) % 2.6) / 1;
  if (lt > 1.6 && sweep < 1) shineSweep(ctx, bx, by, bw, bh, sweep);
  const label = sprite('cta-label', bw, bh, (c) => {
    c.fillStyle = C.white;
    c.font = `700 46px ${FONT}`;
    c.textAlign = 'center';
    c.fillText('アプリでかんたん手続き', bw / 2 - 18, 80);
    c.strokeStyle = C.white;
    c.lineWidth = 6;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    const ax = bw / 2 + c.measureText('アプリでかんたん手続き').width / 2 + 10;
    c.beginPath();
    c.moveTo(ax, 48);
    c.lineTo(ax + 14, 64);
    c.lineTo(ax, 80);
    c.stroke();
  });
  ctx.drawImage(label, bx, by);
  ctx.globalAlpha = a * smooth((lt - 1.2) / 0.5);
  const url = sprite('end-url', W, 60, (c) => {
    c.fillStyle = C.lilacLight;
    c.font = `400 34px ${FONT}`;
    c.textAlign = 'center';
    c.fillText('kasane-mobile.example.jp', W / 2, 40);
  });
  ctx.drawImage(url, 0, 1378);
}

/** Three small service promises, popping in one after another. */
function drawBenefits(ctx: SKRSContext2D, t: number, lt: number, a: number): void {
  BENEFITS.forEach((b, i) => {
    const k = easeOutBack((lt - 1.5 - i * 0.18) / 0.6);
    if (k <= 0) return;
    const bx = W / 2 + (i - 1) * 300;
    const by = 1640 + 5 * Math.sin((TAU * t) / 3.6 + i * 1.7);
    ctx.save();
    ctx.globalAlpha = a * smooth((lt - 1.5 - i * 0.18) / 0.4);
    ctx.translate(bx, by);
    ctx.scale(k, k);
    ctx.drawImage(benefitSprite(b), -150, -70);
    ctx.restore();
  });
}
