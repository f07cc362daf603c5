// What the server hands the watch page's script: the per-render options in the page's
// JSON data island, and overlays.json for the browser composite. Types and constants
// only, neither DOM nor node: the server's type-check and the page's both read this file.
import type { Animation } from '../../overlays/types.ts';

/** The id of the `<script type="application/json">` element holding the WatchConfig. */
export const WATCH_CONFIG_ID = 'watch-config';

export interface WatchConfig {
  /**
   * This person's first personalized segment is stored. When false, the page composites
   * the overlays itself over the template rendition (overlays.json) instead of waiting on the encoder.
   */
  ready: boolean;
  /** Seconds into the video at which the call-to-action appears; null: only at the end. */
  ctaAt: number | null;
  /**
   * When not ready: overlays.json's body, in the page itself, so the composite starts
   * without a round trip (the page's head has already asked for the layer images).
   */
  composite?: CompositePlan;
}

export interface CompositeLayer {
  id: string;
  /** The layer's overlay PNG for this person (box-sized, with alpha), under the viewer's token. */
  image: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Template frames, end exclusive: shown on frames startFrame..endFrame-1. */
  startFrame: number;
  endFrame: number;
  /**
   * Fades in seconds, with the frames they apply to: ffmpeg fades each segment on its own,
   * so a fade-in is applied only inside the segment the layer starts in (frames before
   * `inUntilFrame`), a fade-out only inside the one it ends in (frames from `outFromFrame`,
   * and never starting before that frame: ffmpeg's start time is clamped at the segment start).
   */
  fade: { in: number; out: number; inUntilFrame: number; outFromFrame: number };
  slide: NonNullable<Animation['slide']> | null;
}

/** overlays.json */
export interface CompositePlan {
  /** True when this person's first personalized segment is stored: the stitched stream plays without waiting. */
  ready: boolean;
  width: number;
  height: number;
  fps: { num: number; den: number };
  frameCount: number;
  /** The template rendition: shared segments only, no personal data. */
  base: string;
  layers: CompositeLayer[];
}
