// Cached offscreen drawings (static text, icons, the vignette): drawn once per
// key, so each frame only blits them.
import { type Canvas, createCanvas, type SKRSContext2D } from '@napi-rs/canvas';

const sprites = new Map<string, Canvas>();

export function sprite(key: string, w: number, h: number, draw: (c: SKRSContext2D) => void): Canvas {
  let s = sprites.get(key);
  if (!s) {
    s = createCanvas(Math.ceil(w), Math.ceil(h));
    draw(s.getContext('2d'));
    sprites.set(key, s);
  }
  return s;
}
