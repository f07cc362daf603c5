// A brand name set large in white with a soft shadow, and its letter-spaced
// romanized kicker below (title card, end card).
import type { SKRSContext2D } from '@napi-rs/canvas';
import { FONT } from './fonts.ts';
import { spacedText } from './spaced-text.ts';

interface Line {
  text: string;
  size: number; // px, bold
  y: number; // baseline
}

/** Both lines centred at x; leaves the shadow off. */
export function drawWordmark(
  ctx: SKRSContext2D,
  x: number,
  name: Line & { shadow: string; blur: number },
  kicker: Line & { color: string; spacing: number },
): void {
  ctx.fillStyle = '#ffffff';
  ctx.textAlign = 'center';
  ctx.shadowColor = name.shadow;
  ctx.shadowBlur = name.blur;
  ctx.font = `700 ${name.size}px ${FONT}`;
  ctx.fillText(name.text, x, name.y);
  ctx.shadowBlur = 0;
  ctx.font = `700 ${kicker.size}px ${FONT}`;
  ctx.fillStyle = kicker.color;
  spacedText(ctx, kicker.text, x, kicker.y, kicker.spacing);
}
