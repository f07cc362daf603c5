// Which template frame the video shows, on the video's own clock.
import type { CompositePlan } from './contract.ts';

export interface FrameClock {
  /**
   * A frame the browser presented, at its media time. The earliest one seen is frame 0:
   * true when that moved, so whatever was drawn for the old origin is stale.
   */
  presented(mediaTime: number): boolean;
  /** The frame at media time t: `exact` for a presented frame's own time, else the one showing at t. */
  frameOf(t: number, exact: boolean): number;
}

/**
 * Where frame 0 sits on the media timeline: players put the stream's earliest sample at 0,
 * and with audio first (hls.js) the video starts a few frames later. The earliest frame
 * presented says where; until then the buffered start, which is not before it.
 */
export function frameClock(v: HTMLVideoElement, p: CompositePlan): FrameClock {
  const rate = p.fps.num / p.fps.den;
  let origin: number | null = null;
  const start0 = () => {
    if (origin === null && v.buffered.length) origin = v.buffered.start(0);
    return origin || 0;
  };
  return {
    presented(mediaTime) {
      if (origin !== null && mediaTime >= origin) return false;
      origin = mediaTime;
      return true;
    },
    frameOf(t, exact) {
      const n = (t - start0()) * rate;
      return Math.max(0, Math.min(p.frameCount - 1, exact ? Math.round(n) : Math.floor(n + 1e-6)));
    },
  };
}
