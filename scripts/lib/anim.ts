// Small, dependency-free helpers shared by the sample-video generators:
// easing, time windows, a seeded PRNG and colour strings. Pure functions only,
// so every generator stays deterministic.

export const TAU = Math.PI * 2;

export const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
export const smooth = (x: number): number => {
  const c = clamp01(x);
  return c * c * (3 - 2 * c);
};
export const easeOut = (x: number): number => 1 - Math.pow(1 - clamp01(x), 3);
export const easeInOut = (x: number): number => {
  const c = clamp01(x);
  return c < 0.5 ? 4 * c * c * c : 1 - Math.pow(-2 * c + 2, 3) / 2;
};
export const easeOutBack = (x: number): number => {
  const c = clamp01(x);
  const k = 1.4;
  return 1 + (k + 1) * Math.pow(c - 1, 3) + k * Math.pow(c - 1, 2);
};
/** 0 → 1 over `fade` after t0, 1 → 0 over `fade` before t1. */
export const win = (t: number, t0: number, t1: number, fade = 0.3): number =>
  Math.min(smooth((t - t0) / fade), smooth((t1 - t) / fade));

/** mulberry32: tiny seeded PRNG so the "random" decoration is reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** '#rrggbb' + alpha → 'rgba(r,g,b,a)'. */
export function rgba(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a.toFixed(4)})`;
}
