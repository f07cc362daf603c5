// Frame size, palette and camera drift of the energy-savings video (「かさねでんき」).
import { TAU } from '../lib/anim.ts';

export const W = 1280;
export const H = 720;

export const C = {
  navyTop: '#0d2244', navyBottom: '#071427', // background gradient
  teal: '#22b8aa', tealLight: '#8fe6dc',
  yellow: '#f6c453', white: '#ffffff',
};

/** Slow horizontal "camera" drift used for parallax. */
export const camX = (t: number): number => 40 * Math.sin((TAU * t) / 30 - Math.PI / 2) + 40;
