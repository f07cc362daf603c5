// The items layer's generic product placeholder (images/item-fallback.png):
// a parcel on a soft lilac card, 400×400.
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { TAU } from '../lib/anim.ts';
import { polygon, sparklePath } from '../lib/shapes.ts';

const S = 400;

export function drawItemFallback(): Buffer {
  const cv = createCanvas(S, S);
  const c = cv.getContext('2d');
  const g = c.createLinearGradient(0, 0, S, S);
  g.addColorStop(0, '#f6f3fd');
  g.addColorStop(1, '#e9e4f7');
  c.fillStyle = g;
  c.fillRect(0, 0, S, S);
  const halo = c.createRadialGradient(S / 2, S * 0.46, 0, S / 2, S * 0.46, S * 0.42);
  halo.addColorStop(0, 'rgba(255,255,255,0.9)');
  halo.addColorStop(1, 'rgba(255,255,255,0)');
  c.fillStyle = halo;
  c.fillRect(0, 0, S, S);
  // shadow
  c.fillStyle = 'rgba(90,70,160,0.12)';
  c.beginPath();
  c.ellipse(S / 2, 292, 112, 18, 0, 0, TAU);
  c.fill();
  drawParcel(c);
  c.fillStyle = '#ff9bb0';
  sparklePath(c, 300, 96, 18);
  c.fill();
  return cv.toBuffer('image/png');
}

/** Isometric box with a tape across the lid and down the front. */
function drawParcel(c: SKRSContext2D): void {
  const cx = S / 2;
  const top = 100;
  const hw = 100; // half width
  const hh = 52; // half height of the top rhombus
  const depth = 120;
  c.lineJoin = 'round';
  c.lineWidth = 6;
  c.strokeStyle = '#8e84bf';
  const face = (pts: [number, number][], fill: string) => {
    c.beginPath();
    polygon(c, pts);
    c.fillStyle = fill;
    c.fill();
    c.stroke();
  };
  face([[cx - hw, top + hh], [cx, top + 2 * hh], [cx, top + 2 * hh + depth], [cx - hw, top + hh + depth]], '#d9d3f0');
  face([[cx, top + 2 * hh], [cx + hw, top + hh], [cx + hw, top + hh + depth], [cx, top + 2 * hh + depth]], '#cbc3ea');
  face([[cx - hw, top + hh], [cx, top], [cx + hw, top + hh], [cx, top + 2 * hh]], '#ece8f9');
  c.strokeStyle = '#b3a9dc';
  c.lineWidth = 14;
  c.lineCap = 'butt';
  c.beginPath();
  c.moveTo(cx - hw / 2, top + hh / 2);
  c.lineTo(cx + hw / 2, top + hh * 1.5);
  c.lineTo(cx + hw / 2, top + hh * 1.5 + depth);
  c.stroke();
}
