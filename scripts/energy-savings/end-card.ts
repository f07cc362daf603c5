// Closing scene: logo and name, a search box typing the brand, and the URL.
import type { SKRSContext2D } from '@napi-rs/canvas';
import { rgba } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { entrance } from '../lib/scene-timing.ts';
import { drawLogo } from './brand.ts';
import { C, W } from './style.ts';

const BOX = { x: 390, y: 420, w: 500, h: 64 };

export function drawEndCard(ctx: SKRSContext2D, t: number, t0: number): void {
  const e = entrance(t, t0, Infinity, 0.45, 0.7, 20);
  if (!e) return;
  ctx.save();
  ctx.globalAlpha = e.alpha;
  ctx.translate(0, e.offset);
  drawLogo(ctx, W / 2 - 190, 340, 30, 1);
  ctx.fillStyle = C.white;
  ctx.font = `700 60px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.fillText('かさねでんき', W / 2 - 145, 362);
  drawSearchBox(ctx, t - t0);
  ctx.fillStyle = C.tealLight;
  ctx.font = `400 18px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText('kasane-denki.example.jp', W / 2, BOX.y + BOX.h + 46);
  ctx.restore();
}

/** Search field with a button; the query is typed from 0.5 s, the cursor blinks. */
function drawSearchBox(ctx: SKRSContext2D, lt: number): void {
  const { x: bx, y: by, w: bw, h: bh } = BOX;
  ctx.shadowColor = 'rgba(0,0,0,0.3)';
  ctx.shadowBlur = 20;
  ctx.fillStyle = 'rgba(255,255,255,0.96)';
  ctx.beginPath();
  ctx.roundRect(bx, by, bw, bh, 32);
  ctx.fill();
  ctx.shadowBlur = 0;
  ctx.fillStyle = C.teal;
  ctx.beginPath();
  ctx.roundRect(bx + bw - 118, by + 7, 111, bh - 14, 25);
  ctx.fill();
  ctx.fillStyle = C.white;
  ctx.font = `700 22px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText('検索', bx + bw - 62, by + 40);

  const query = 'かさねでんき';
  const shown = Math.max(0, Math.min(query.length, Math.floor((lt - 0.5) / 0.12) + 1));
  const typed = query.slice(0, shown);
  ctx.fillStyle = '#10233f';
  ctx.font = `400 25px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.fillText(typed, bx + 34, by + 41);
  const cursorX = bx + 34 + ctx.measureText(typed).width + 3;
  if (Math.floor(lt / 0.5) % 2 === 0 || shown < query.length) {
    ctx.fillStyle = rgba('#10233f', 0.8);
    ctx.fillRect(cursorX, by + 18, 2, 28);
  }
}
