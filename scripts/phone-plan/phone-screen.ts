// The static home screen of the hero phone (status bar, brand, data card,
// two app tiles), drawn once; the data bar's fill is animated on top.
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { TAU } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { spacedText } from '../lib/spaced-text.ts';
import { sprite } from '../lib/sprites.ts';
import { drawLogo } from './brand.ts';
import { C } from './style.ts';

/** Where the data bar's track sits on the screen. */
export const DATA_BAR = { x: 56, y: 566, h: 12, inset: 112 };

export function phoneScreenSprite(sw: number, sh: number): Canvas {
  return sprite('phone-screen', sw, sh, (c) => {
    const g = c.createLinearGradient(0, 0, sw * 0.6, sh);
    g.addColorStop(0, '#8c7bff');
    g.addColorStop(0.55, '#b48cf0');
    g.addColorStop(1, '#ff8fa6');
    c.fillStyle = g;
    c.beginPath();
    c.roundRect(0, 0, sw, sh, 50);
    c.fill();
    drawStatusBar(c, sw);
    drawLogo(c, sw / 2, 200, 62);
    c.fillStyle = C.white;
    c.textAlign = 'center';
    c.font = `700 46px ${FONT}`;
    c.fillText('かさねモバイル', sw / 2, 340);
    c.font = `700 17px ${FONT}`;
    c.fillStyle = 'rgba(255,255,255,0.85)';
    spacedText(c, 'KASANE MOBILE', sw / 2, 376, 6);
    drawDataCard(c, sw);
    drawAppTiles(c, sw);
  });
}

function drawStatusBar(c: SKRSContext2D, sw: number): void {
  c.fillStyle = C.white;
  c.font = `700 22px ${FONT}`;
  c.textAlign = 'left';
  c.fillText('10:00', 34, 48);
  for (let i = 0; i < 4; i++) c.fillRect(sw - 118 + i * 11, 44 - 6 - i * 5, 7, 6 + i * 5);
  c.font = `700 18px ${FONT}`;
  c.fillText('5G', sw - 70, 44);
  c.beginPath();
  c.roundRect(sw - 40, 28, 24, 15, 4);
  c.fill();
  // camera dot
  c.fillStyle = 'rgba(20,14,48,0.85)';
  c.beginPath();
  c.arc(sw / 2, 36, 11, 0, TAU);
  c.fill();
}

function drawDataCard(c: SKRSContext2D, sw: number): void {
  c.fillStyle = 'rgba(255,255,255,0.2)';
  c.beginPath();
  c.roundRect(28, 430, sw - 56, 170, 28);
  c.fill();
  c.fillStyle = C.white;
  c.textAlign = 'left';
  c.font = `400 22px ${FONT}`;
  c.fillText('今月のデータ残量', 56, 478);
  c.font = `700 54px ${FONT}`;
  c.fillText('18.6', 56, 544);
  const nw = c.measureText('18.6').width;
  c.font = `700 26px ${FONT}`;
  c.fillText('GB', 56 + nw + 8, 544);
  c.fillStyle = 'rgba(255,255,255,0.3)';
  c.beginPath();
  c.roundRect(DATA_BAR.x, DATA_BAR.y, sw - DATA_BAR.inset, DATA_BAR.h, 6);
  c.fill();
}

function drawAppTiles(c: SKRSContext2D, sw: number): void {
  const tw = (sw - 56 - 20) / 2;
  const tiles: [string, string][] = [
    ['料金プラン', C.mint],
    ['ショップ', C.gold],
  ];
  tiles.forEach(([label, color], i) => {
    const x = 28 + i * (tw + 20);
    c.fillStyle = 'rgba(255,255,255,0.2)';
    c.beginPath();
    c.roundRect(x, 598, tw, 92, 24);
    c.fill();
    c.fillStyle = color;
    c.beginPath();
    c.font = `700 21px ${FONT}`;
    const lw = c.measureText(label).width;
    const x0 = x + (tw - (26 + 10 + lw)) / 2;
    c.arc(x0 + 13, 644, 13, 0, TAU);
    c.fill();
    c.fillStyle = C.white;
    c.fillText(label, x0 + 36, 651);
  });
}
