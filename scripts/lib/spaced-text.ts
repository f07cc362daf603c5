// Letter-spaced text (the small English kickers under the Japanese lines).
import type { SKRSContext2D } from '@napi-rs/canvas';

/** Centred at x, with `spacing` px between glyphs. */
export function spacedText(ctx: SKRSContext2D, text: string, x: number, y: number, spacing: number): void {
  ctx.save();
  ctx.letterSpacing = `${spacing}px`;
  ctx.textAlign = 'center';
  // letter spacing adds trailing space after the last glyph; shift to stay centred
  ctx.fillText(text, x + spacing / 2, y);
  ctx.restore();
}

/** Drawn width of spacedText, without the trailing space. */
export function spacedWidth(ctx: SKRSContext2D, text: string, spacing: number): number {
  ctx.save();
  ctx.letterSpacing = `${spacing}px`;
  const w = ctx.measureText(text).width - spacing;
  ctx.restore();
  return w;
}
