// Noto Sans JP from @fontsource, registered with @napi-rs/canvas's global font
// registry. Fontsource ships the font as ~125 unicode-range subsets per weight;
// every subset is registered under the one family name and Skia falls back
// across them glyph by glyph, and picks the 400 or 700 files by the weight in
// ctx.font (checked: bold and regular ink differ, in either registration order).
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlobalFonts, createCanvas } from '@napi-rs/canvas';

export const DEFAULT_FONT_FAMILY = 'Noto Sans JP';

const WEIGHTS = [400, 700] as const;

interface FontState { registered: Set<string>; done: boolean }

// Kept on globalThis: if this module is ever loaded twice (two import URLs),
// registering the 250 files again would double the per-call cost of every
// measureText/fillText, which grows with the number of faces in the family.
const STATE_KEY = Symbol.for('kasane.overlays.fonts');
const globalState = globalThis as { [STATE_KEY]?: FontState };
const state: FontState = (globalState[STATE_KEY] ??= { registered: new Set(), done: false });

function fontFiles(): string[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@fontsource/noto-sans-jp/package.json')), 'files');
  const pattern = new RegExp(`^noto-sans-jp-[a-z0-9-]+-(?:${WEIGHTS.join('|')})-normal\\.woff2$`);
  // Sorted so the face that wins for glyphs present in two subsets (e.g. '¥')
  // does not depend on directory order.
  return readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Registers every Noto Sans JP subset (400 and 700). Idempotent and cheap after the first call. */
export function ensureFonts(): void {
  if (state.done) return;
  const files = fontFiles();
  if (files.length === 0) throw new Error('@fontsource/noto-sans-jp has no 400/700 woff2 files to register');
  const failed: string[] = [];
  for (const file of files) {
    if (state.registered.has(file)) continue;
    if (GlobalFonts.registerFromPath(file, DEFAULT_FONT_FAMILY)) state.registered.add(file);
    else failed.push(file);
  }
  if (failed.length > 0) {
    throw new Error(`could not register ${failed.length} Noto Sans JP font file(s), e.g. ${failed[0]}`);
  }
  state.done = true;
  warmUp();
}

// The first text call after registration builds Skia's font collection for the
// family (~100 ms); pay that here, at startup, rather than in the first render.
function warmUp(): void {
  const ctx = createCanvas(8, 8).getContext('2d');
  for (const w of WEIGHTS) {
    ctx.font = `${w} 16px "${DEFAULT_FONT_FAMILY}"`;
    ctx.measureText('あ亜A1¥');
  }
}
