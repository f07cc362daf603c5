// Registers the bundled Noto Sans JP (@fontsource woff2 subsets, weights 400
// and 700) under the family name 'Noto Sans JP' for @napi-rs/canvas.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

const require = createRequire(import.meta.url);

export function registerFonts(): void {
  const dir = path.join(path.dirname(require.resolve('@fontsource/noto-sans-jp/package.json')), 'files');
  let n = 0;
  for (const f of readdirSync(dir).sort()) {
    if (/^noto-sans-jp-.+-(400|700)-normal\.woff2$/.test(f)) {
      if (GlobalFonts.registerFromPath(path.join(dir, f), 'Noto Sans JP')) n++;
    }
  }
  if (n === 0) throw new Error(`no Noto Sans JP woff2 files registered from ${dir}`);
  console.log(`fonts: registered ${n} Noto Sans JP subset files (400 + 700)`);
}

/** CSS font family for ctx.font after registerFonts(). */
export const FONT = '"Noto Sans JP"';
