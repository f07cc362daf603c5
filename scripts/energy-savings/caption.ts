// A scene caption in the top third: English kicker, Japanese line, and a
// yellow underline that grows in.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { easeOut } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { type Caption, entrance } from '../lib/scene-timing.ts';
import { spacedText } from '../lib/spaced-text.ts';
import { C, W } from './style.ts';

export function drawCaption(ctx: SKRSContext2D, t: number, c: Caption): void {
  const e = entrance(t, c.t0, c.t1, 0.3, 0.5, 14);
  if (!e) return;
  ctx.save();
  ctx.globalAlpha = e.alpha;
  ctx.translate(0, e.offset);
  ctx.textAlign = 'center';
  ctx.fillStyle = C.tealLight;
  ctx.font = `700 15px ${FONT}`;
  spacedText(ctx, c.label, W / 2, 104, 5);
  ctx.fillStyle = C.white;
  ctx.shadowColor = 'rgba(0,10,30,0.45)';
  ctx.shadowBlur = 14;
  ctx.font = `700 50px ${FONT}`;
  ctx.fillText(c.text, W / 2, 168);
  ctx.shadowBlur = 0;
  const lw = 80 * easeOut((t - c.t0 - 0.15) / 0.6);
  ctx.fillStyle = C.yellow;
  ctx.beginPath();
  ctx.roundRect(W / 2 - lw / 2, 192, lw, 4, 2);
  ctx.fill();
  ctx.restore();
}
