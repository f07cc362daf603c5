// Shared shapes of a generator's timeline: captions per scene, and the bands
// (time × height) where the service later draws personalized overlays, over
// which the decoration quiets down.
import { easeOut, smooth, win } from './anim.ts';

export interface Caption {
  t0: number;
  t1: number;
  label: string; // small English kicker
  text: string;
}

export interface OverlayBand {
  t0: number;
  t1: number;
  y0: number;
  y1: number;
}

export interface Quieting {
  /** Starts this long before a band and ends this long after (0.5 s fades). */
  lead: number;
  /** Vertical ramp (px) outside the band. */
  ramp: number;
  /** How much is taken away inside a band (0..1). */
  depth: number;
}

/** (t, y) → alpha factor for decoration: 1 in the open, 1 − depth inside a band. */
export function quietOver(bands: OverlayBand[], q: Quieting): (t: number, y: number) => number {
  return (t, y) => {
    let k = 1;
    for (const b of bands) {
      const tw = win(t, b.t0 - q.lead, b.t1 + q.lead, 0.5);
      const yw = Math.min(smooth((y - (b.y0 - q.ramp)) / q.ramp), smooth((b.y1 + q.ramp - y) / q.ramp));
      k = Math.min(k, 1 - q.depth * tw * yw);
    }
    return k;
  };
}

/**
 * How a scene element usually comes in: alpha win(t, t0, t1, fade), and an
 * offset that eases from `by` px to 0 over `over` s after t0. Null while invisible.
 */
export function entrance(t: number, t0: number, t1: number, fade: number, over: number, by: number): { alpha: number; offset: number } | null {
  const alpha = win(t, t0, t1, fade);
  if (alpha <= 0) return null;
  return { alpha, offset: (1 - easeOut((t - t0) / over)) * by };
}
