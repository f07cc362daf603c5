// Issue 13 §1: eight people open fresh links at the same moment on 2 cores, the
// benchmark's worst case (bench/README "Gap: 8 viewers at once"), played in real time
// in Chromium against the compiled API and one worker (bench/lib/service.ts: bench-ref,
// so run `npm run bench` once first, and `npm run build`). Two rounds, 8 fresh renders
// accepted at once in each:
//   server stream: 8 pages play their index.m3u8 with hls.js (test/support/player.ts);
//   watch page:    8 pages open /v/<token>/ at once; the page finds the first personal
//                  segment not ready and composites the overlays over base.m3u8.
// Per round: views that saw a `waiting` after they started, all such events, time from
// opening to the first frame. Writes bench/results/fallback-viewers-<date>.json.
//   node --import tsx bench/fallback-viewers.ts
import { chromium } from 'playwright-core';
import { startBenchService, writeResult } from './lib/service.ts';
import { benchItemSet } from './fixtures.ts';
import { round } from './lib/stats.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, playInChromium } from '../test/support/player.ts';

const VIEWERS = 8;
const svc = await startBenchService('fallback-viewers');
let n = 0;
const person = () => {
  n++;
  return { name: `${['山田', '佐藤', '鈴木', '髙橋', '田中'][n % 5]} ${Date.now() % 100000}${n}`, amount: 1000 + n * 37, items: benchItemSet(n) };
};
const acceptAll = () =>
  Promise.all(
    Array.from({ length: VIEWERS }, async () => {
      const r = await fetch(`${svc.base}/v1/renders`, { method: 'POST', headers: svc.json, body: JSON.stringify({ template: 'bench-ref', data: person() }) });
      const body = (await r.json()) as { player_url: string; playlist_url: string };
      if (r.status !== 201) throw new Error(`POST ${r.status}: ${JSON.stringify(body)}`);
      return body;
    }),
  );
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface View {
  waiting: number;
  firstFrameMs: number;
  ended: boolean;
  playlist?: string;
}

try {
  // ---- the server stream alone
  const server: View[] = await Promise.all(
    (await acceptAll()).map(async (r) => {
      const p = await playInChromium(r.playlist_url, { playbackRate: 1, timeoutMs: 120_000, stallTimeoutMs: 30_000 });
      return { waiting: p.waitingAfterStart, firstFrameMs: p.firstFrameMs, ended: p.ended };
    }),
  );

  // ---- the watch page (browser composite when the server is behind)
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const page: View[] = await Promise.all(
    (await acceptAll()).map(async (r) => {
      const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const tab = await ctx.newPage();
      await tab.addInitScript(() => {
        const w = window as unknown as { bench: { t0: number; first: number; waiting: number; ended: boolean } };
        w.bench = { t0: performance.now(), first: -1, waiting: 0, ended: false };
        document.addEventListener('playing', () => { if (w.bench.first < 0) w.bench.first = performance.now() - w.bench.t0; }, true);
        document.addEventListener('waiting', () => { if (w.bench.first >= 0) w.bench.waiting++; }, true);
        document.addEventListener('ended', () => { w.bench.ended = true; }, true);
      });
      await tab.goto(r.player_url, { waitUntil: 'load' });
      await tab.waitForFunction(() => (window as unknown as { bench: { ended: boolean } }).bench.ended, null, { timeout: 120_000 }).catch(() => {});
      const b = await tab.evaluate(() => ({ ...(window as unknown as { bench: { first: number; waiting: number; ended: boolean } }).bench, playlist: document.querySelector('.stage')!.getAttribute('data-playlist') ?? '' }));
      await ctx.close();
      return { waiting: b.waiting, firstFrameMs: round(b.first, 0), ended: b.ended, playlist: b.playlist };
    }),
  );
  await browser.close();

  const sum = (views: View[]) => ({
    views_with_waiting: views.filter((v) => v.waiting > 0).length,
    waiting_events: views.reduce((a, v) => a + v.waiting, 0),
    first_frame_ms_median: median(views.map((v) => v.firstFrameMs)),
    first_frame_ms_max: Math.max(...views.map((v) => v.firstFrameMs)),
    ended: views.filter((v) => v.ended).length,
  });
  const result = { viewers: VIEWERS, server_stream: { ...sum(server), views: server }, watch_page: { ...sum(page), composite: page.filter((v) => v.playlist === 'base.m3u8' || v.playlist?.endsWith('/base.m3u8')).length, views: page } };
  console.log(JSON.stringify({ server_stream: sum(server), watch_page: { ...sum(page), composite: result.watch_page.composite } }, null, 1));
  writeResult('fallback-viewers', result);
} finally {
  await svc.stop();
}
