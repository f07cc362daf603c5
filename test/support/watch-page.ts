// What tests do to a watch page in Chromium before looking at it: choose the player, hide the controls.
import type { Page } from 'playwright-core';

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
