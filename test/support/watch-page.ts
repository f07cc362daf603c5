// What tests do to a watch page in Chromium: choose the player, hide the controls, run axe-core.
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);

/** This Chromium plays HLS natively; without it (older Chrome, Firefox) the page uses hls.js. Call before goto. */
export async function forceHlsJs(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const can = HTMLMediaElement.prototype.canPlayType;
    HTMLMediaElement.prototype.canPlayType = function (type: string) {
      return /mpegurl/i.test(type) ? '' : can.call(this, type);
    };
  });
}

/** Controls, captions and buttons off: only the picture is compared. */
export async function hideUi(page: Page): Promise<void> {
  await page.evaluate(() => {
    const v = document.querySelector('video')!;
    v.controls = false;
    for (const t of Array.from(v.textTracks)) t.mode = 'hidden';
    for (const b of Array.from(document.querySelectorAll('.ui'))) (b as HTMLElement).style.visibility = 'hidden';
  });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function axeSerious(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const r = await page.evaluate(() => (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run());
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.nodes.length} node(s))`);
}
