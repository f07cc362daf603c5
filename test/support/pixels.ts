// PNG helpers for pixel assertions: decode to RGBA, and make solid test images.
import { createCanvas, loadImage } from '@napi-rs/canvas';

export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export async function decode(png: Buffer): Promise<Pixels> {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: g.getImageData(0, 0, img.width, img.height).data };
}

/** A w×h PNG filled with one CSS colour. */
export function solidPng(w: number, h: number, color: string): Buffer {
  const c = createCanvas(w, h);
  const g = c.getContext('2d');
  g.fillStyle = color;
  g.fillRect(0, 0, w, h);
  return c.toBuffer('image/png');
}

/** The RGBA bytes of a rectangle, row by row (as canvas getImageData returns them). */
export function region(p: Pixels, x: number, y: number, w: number, h: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let row = 0; row < h; row++) {
    const from = ((y + row) * p.width + x) * 4;
    out.set(p.data.subarray(from, from + w * 4), row * w * 4);
  }
  return out;
}
