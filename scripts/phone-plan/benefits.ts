// The three service promises of the end card: an icon in a ring and a label.
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { rgba, TAU } from '../lib/anim.ts';
import { FONT } from '../lib/fonts.ts';
import { polygon, ringDisc } from '../lib/shapes.ts';
import { sprite } from '../lib/sprites.ts';
import { C } from './style.ts';

export interface Benefit {
  label: string;
  color: string;
  icon: 'bolt' | 'chat' | 'truck';
}

export const BENEFITS: Benefit[] = [
  { label: '最短即日開通', color: C.mint, icon: 'bolt' },
  { label: '24時間チャット', color: C.lilac, icon: 'chat' },
  { label: '全国送料無料', color: C.peach, icon: 'truck' },
];

/** Icon circle + label, 300×190, icon centre at (150, 70). */
export function benefitSprite(b: Benefit): Canvas {
  return sprite(`benefit:${b.icon}`, 300, 190, (c) => {
    ringDisc(c, 150, 70, 54, 'rgba(255,255,255,0.12)', rgba(b.color, 0.9));
    c.fillStyle = b.color;
    c.strokeStyle = b.color;
    c.lineJoin = 'round';
    c.lineCap = 'round';
    c.beginPath();
    ICONS[b.icon](c);
    c.fillStyle = C.white;
    c.font = `700 28px ${FONT}`;
    c.textAlign = 'center';
    c.fillText(b.label, 150, 166);
  });
}

/** Each draws its icon around (150, 70) in the current fill/stroke colour, on a begun path. */
const ICONS: Record<Benefit['icon'], (c: SKRSContext2D) => void> = {
  bolt(c) {
    polygon(c, [[158, 38], [132, 76], [150, 76], [142, 104], [170, 62], [152, 62]]);
    c.fill();
  },
  chat(c) {
    c.roundRect(118, 44, 64, 44, 14);
    c.moveTo(134, 86);
    c.lineTo(128, 102);
    c.lineTo(150, 86);
    c.fill();
    c.fillStyle = C.ink;
    for (let k = -1; k <= 1; k++) {
      c.beginPath();
      c.arc(150 + k * 16, 66, 4.5, 0, TAU);
      c.fill();
    }
  },
  truck(c) {
    c.roundRect(112, 50, 46, 36, 5);
    polygon(c, [[160, 60], [176, 60], [188, 74], [188, 86], [160, 86]]);
    c.fill();
    for (const wx of [126, 174]) {
      c.beginPath();
      c.arc(wx, 90, 9, 0, TAU);
      c.fillStyle = C.ink;
      c.fill();
      c.lineWidth = 4;
      c.stroke();
    }
  },
};
