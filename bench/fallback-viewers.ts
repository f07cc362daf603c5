// Issue 13 §1: eight people open fresh links at the same moment on 2 cores, the
// benchmark's worst case (bench/README "Gap: 8 viewers at once"), played in real time
// in Chromium (one browser, a fresh context per viewer, 390×844) against the compiled API
// and one worker process at concurrency 2, production scheduling (bench/lib/service.ts:
// bench-ref, so `npm run build` and bench-ref prepared in bench/.cache). Two rounds, each
// with 8 fresh eager renders accepted at once and their 8 watch pages opened at once while
// the worker encodes them:
//   server stream: the watch page forced to the stitched stream (its data island turned to
//                  ready in the page, its layer images refused: the page a ready render
//                  gets, same hls.js), i.e. what every viewer got before issue 13;
//   browser fallback: the watch page as served; it finds the first personal segment not
//                  ready and composites the overlays over base.m3u8.
// Per view: `waiting` events after the first `playing`; freezes of the picture (currentTime
// not advancing while playing, sampled every 100 ms: Chromium fires no `waiting` when the
// stitched stream holds on its first frame); (ended − first frame) − the video's length;
// time from navigation to the first `playing` and to the first moving frame; which playlist
// played; per round the renders' just-in-time margins (run.ts's figure 3) and the CPU the
// worker (+ ffmpeg), the API (+ its preview process) and Chromium took — the 8 viewers'
// browsers run on the same 2 cores as the service, which a real viewer's phone does not. Writes bench/results/fallback-viewers-<date>.json.
//   npm run bench -- --only fallback          (or: npm run build && npx tsx bench/fallback-viewers.ts)
import os from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startBenchService, writeResult, type BenchService } from './lib/service.ts';
import { benchItemSet } from './fixtures.ts';
import { median, round, sleep } from './lib/stats.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/player.ts';

const VIEWERS = 8;
const VIEW_TIMEOUT_MS = 120_000;

/**
 * CPU seconds of a process tree: each live process's own time plus its reaped children's
 * (ffmpeg runs; Chromium renderers reaped by its zygotes), so nothing is counted twice.
 */
function treeCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100 + childPids(pid).reduce((a, c) => a + treeCpu(c), 0);
  } catch {
    return 0; // exited meanwhile
  }
}

function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

let n = 0;
const person = () => {
  n++;
  return { name: `${['山田', '佐藤', '鈴木', '髙橋', '田中'][n % 5]} ${Date.now() % 100000}${n}`, amount: 1000 + n * 37, items: benchItemSet(n) };
};

interface Accepted {
  id: string;
  player_url: string;
  at: number;
}

const acceptAll = (svc: BenchService): Promise<Accepted[]> =>
  Promise.all(
    Array.from({ length: VIEWERS }, async () => {
      const at = Date.now();
      const r = await fetch(`${svc.base}/v1/renders`, { method: 'POST', headers: svc.json, body: JSON.stringify({ template: 'bench-ref', data: person(), mode: 'eager' }) });
      const body = (await r.json()) as { id: string; player_url: string };
      if (r.status !== 201) throw new Error(`POST ${r.status}: ${JSON.stringify(body)}`);
      return { ...body, at };
    }),
  );

interface View {
  /** Freezes of the picture after the first frame (currentTime not advancing while playing, > 250 ms): [at ms, lasting ms, media time]. */
  freezes: Array<[number, number, number]>;
  frozenMs: number;
  /** (ended − first frame) − the video's duration: time lost to waiting, whatever the events said. */
  firstToEndBeyondDurationMs: number;
  log: string[];
  /** `waiting` events after the first `playing`. */
  waiting: number;
  /** ms spent between such a `waiting` and the next `playing`. */
  waitingMs: number;
  /** navigation start → first `playing`. */
  firstFrameMs: number;
  /** navigation start → the picture moving (first frame + any freeze at media time 0). */
  firstMovingFrameMs: number;
  /** ms from navigation start until: the page's load event, its HTML and script were in, overlays.json, the first layer image asked / the last one in, the first playlist asked / the last in, the first segment asked / in, the poster in (-1: not fetched). */
  loaded: Record<string, number>;
  ended: boolean;
  finalTime: number;
  playlist: string;
  errors: string[];
}

/**
 * Runs in each watch page before its own script (a string: tsx's helpers do not exist in the
 * page). Media events do not bubble: listened to in the capture phase; performance.now()
 * counts from navigation start. Besides the events, what a viewer sees whatever the events
 * say: the picture not advancing while the video is meant to play — freezes over 250 ms
 * after the first frame as [at ms, lasting ms, media time].
 */
const PAGE_PROBE = `(() => {
  const b = window.bench = { first: -1, endedAt: -1, waiting: 0, waitingMs: 0, waitingSince: -1, ended: false, freezes: [], log: [] };
  const ev = (name, fn) => document.addEventListener(name, (e) => {
    const v = e.target;
    b.log.push(Math.round(performance.now()) + ' ' + name + ' ' + v.currentTime.toFixed(2));
    fn(v);
  }, true);
  ev('playing', () => {
    const t = performance.now();
    if (b.first < 0) b.first = t;
    if (b.waitingSince >= 0) b.waitingMs += t - b.waitingSince;
    b.waitingSince = -1;
  });
  ev('waiting', () => {
    if (b.first < 0 || b.ended) return;
    b.waiting++;
    b.waitingSince = performance.now();
  });
  ev('ended', () => { b.ended = true; b.endedAt = performance.now(); });
  ev('stalled', () => {});
  ev('pause', () => {});
  let last = -1, since = 0;
  setInterval(() => {
    const v = document.querySelector('video');
    if (!v || b.first < 0 || b.ended) return;
    const now = performance.now();
    if (v.currentTime !== last || v.paused) {
      if (last >= 0 && now - since > 350) b.freezes.push([Math.round(since), Math.round(now - since - 100), +last.toFixed(2)]);
      last = v.currentTime;
      since = now;
    }
  }, 100);
})();`;

/** Rewrites the page's data island to ready (no composite) as the parser inserts it, before the deferred page script runs. */
const AS_READY = `new MutationObserver(() => {
  const el = document.getElementById('watch-config');
  try {
    const c = JSON.parse(el.textContent);
    if (c.ready !== false) return;
    c.ready = true;
    delete c.composite;
    el.textContent = JSON.stringify(c);
  } catch (e) {}
}).observe(document, { childList: true, subtree: true, characterData: true });`;

/** Opens one watch page in its own context and watches it to the end. */
async function watch(browser: Browser, url: string, forceStitched: boolean): Promise<View> {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const errors: string[] = [];
  try {
    const tab = await ctx.newPage();
    tab.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    // The page as a ready render gets it, i.e. the stitched stream: its data island turned to
    // ready before the page's script reads it, its preloaded layer images refused (in the page,
    // not by intercepting the page itself: that would delay its HTML).
    if (forceStitched) {
      await tab.addInitScript(AS_READY);
      await tab.route('**/layers/*.png', (r) => r.abort());
    }
    await tab.addInitScript(PAGE_PROBE);
    await tab.goto(url, { waitUntil: 'load' });
    await tab.waitForFunction(() => (window as unknown as { bench: { ended: boolean } }).bench.ended, null, { timeout: VIEW_TIMEOUT_MS, polling: 500 }).catch(() => errors.push('did not end in time'));
    const b = await tab.evaluate(() => {
      const v = document.querySelector('video')!;
      const s = (window as unknown as { bench: { first: number; endedAt: number; waiting: number; waitingMs: number; waitingSince: number; ended: boolean; freezes: Array<[number, number, number]>; log: string[] } }).bench;
      // Where the start went: when each thing the page waited for had arrived (ms from navigation).
      const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      // (No named functions in here: tsx would wrap them in a helper the page lacks.)
      const ends = [/overlays\.json$/, /\/layers\/\d+\.png$/, /\.m3u8$/, /\/poster\.jpg$/].map((re) => Math.round(Math.max(-1, ...res.filter((r) => re.test(r.name)).map((r) => r.responseEnd))));
      const firstTs = res.filter((r) => /\.ts$/.test(r.name)).sort((x, y) => x.startTime - y.startTime)[0];
      // When the first of each left the browser (requestStart: after any queueing in the browser).
      const asked = [/\/layers\/\d+\.png$/, /\.m3u8$/, /\.ts$/, /\/watch\.[0-9a-f]+\.js$/].map((re) => Math.round(Math.min(1e9, ...res.filter((r) => re.test(r.name)).map((r) => r.requestStart)))).map((x) => (x >= 1e9 ? -1 : x));
      const script = res.find((r) => /\/watch\.[0-9a-f]+\.js$/.test(r.name));
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const loaded = {
        page: Math.round(nav?.duration ?? -1), html: Math.round(nav?.responseEnd ?? -1), script: script ? Math.round(script.responseEnd) : -1, overlays: ends[0]!,
        layers_asked: asked[0]!, layers: ends[1]!, playlist_asked: asked[1]!, playlist: ends[2]!, segment0_asked: asked[2]!, segment0: firstTs ? Math.round(firstTs.responseEnd) : -1, poster: ends[3]!,
      };
      return { ...s, loaded, stillWaitingMs: s.waitingSince >= 0 ? performance.now() - s.waitingSince : 0, finalTime: v.currentTime, playlist: document.querySelector('[data-playlist]')?.getAttribute('data-playlist') ?? '' };
    });
    // Played at rate 1: first frame → ended beyond the video's duration is time the viewer waited.
    const lateMs = b.ended ? Math.round(b.endedAt - b.first - b.finalTime * 1000) : -1;
    // Chromium fires `playing` once the first segment is in, but on the stitched stream the picture
    // then holds its first frame (no `waiting`) until more arrives: the first *moving* frame is the
    // viewer's start.
    const moving = Math.round(b.first + b.freezes.filter((f) => f[2] === 0).reduce((a, f) => a + f[1], 0));
    return { waiting: b.waiting, waitingMs: Math.round(b.waitingMs + b.stillWaitingMs), freezes: b.freezes, frozenMs: b.freezes.reduce((a, f) => a + f[1], 0), firstToEndBeyondDurationMs: lateMs, firstFrameMs: Math.round(b.first), firstMovingFrameMs: moving, loaded: b.loaded, ended: b.ended, finalTime: round(b.finalTime, 2), playlist: b.playlist, errors, log: b.log };
  } finally {
    await ctx.close();
  }
}

async function round8(svc: BenchService, browser: Browser, browserPid: number, forceStitched: boolean) {
  const cpu0 = { worker: treeCpu(svc.worker.pid), api: treeCpu(svc.api.pid), chromium: treeCpu(browserPid) };
  const load = os.loadavg()[0]!;
  const t0 = Date.now();
  const accepted = await acceptAll(svc);
  const views = await Promise.all(accepted.map((a) => watch(browser, a.player_url, forceStitched)));
  const cpu = { worker_s: round(treeCpu(svc.worker.pid) - cpu0.worker, 1), api_s: round(treeCpu(svc.api.pid) - cpu0.api, 1), chromium_s: round(treeCpu(browserPid) - cpu0.chromium, 1), wall_s: round((Date.now() - t0) / 1000, 1) };
  // The renders' own just-in-time margin (bench/run.ts figure 3): a personal segment's start in the
  // video − (its ready_at − accept); negative = a viewer who pressed play at accept waits for it.
  const margins: number[][] = [];
  for (const a of accepted) {
    for (;;) {
      const s = (await (await fetch(`${svc.base}/v1/renders/${a.id}`, { headers: svc.json })).json()) as { state: string; segments: Array<{ index: number; start?: number; ready_at?: string; shared?: boolean }> };
      if (s.state === 'failed' || Date.now() - a.at > 180_000) throw new Error(`render ${a.id}: ${JSON.stringify(s).slice(0, 400)}`);
      if (s.state !== 'done') {
        await sleep(250);
        continue;
      }
      margins.push(DYNAMIC.map((d) => Math.round(d.startMs - (Date.parse(s.segments[d.index]!.ready_at!) - a.at))));
      break;
    }
  }
  const ttff = views.map((v) => v.firstFrameMs);
  return {
    page: forceStitched ? 'forced to the stitched stream' : 'as served',
    load_1min_at_start: round(load, 2),
    views_with_waiting: views.filter((v) => v.waiting > 0).length,
    waiting_events: views.reduce((s, v) => s + v.waiting, 0),
    waiting_ms_max: Math.max(...views.map((v) => v.waitingMs)),
    waiting_ms_total: views.reduce((s, v) => s + v.waitingMs, 0),
    views_frozen: views.filter((v) => v.freezes.length > 0).length,
    frozen_ms_max: Math.max(...views.map((v) => v.frozenMs)),
    beyond_duration_ms_max: Math.max(...views.map((v) => v.firstToEndBeyondDurationMs)),
    first_frame_ms_median: median(ttff),
    first_frame_ms_max: Math.max(...ttff),
    first_moving_frame_ms_median: median(views.map((v) => v.firstMovingFrameMs)),
    first_moving_frame_ms_max: Math.max(...views.map((v) => v.firstMovingFrameMs)),
    ended: views.filter((v) => v.ended).length,
    composite: views.filter((v) => v.playlist.endsWith('base.m3u8')).length,
    stitched: views.filter((v) => v.playlist.endsWith('index.m3u8')).length,
    jit_margin_ms_worst_per_segment: DYNAMIC.map((d, k) => ({ segment: d.index, start_ms: Math.round(d.startMs), worst_ms: Math.min(...margins.map((m) => m[k]!)) })),
    late_personal_segments: margins.flat().filter((x) => x < 0).length,
    cpu,
    views,
    margins_ms: margins,
  };
}

// The personalized segments of bench-ref and where they start (from a render's status).
let DYNAMIC: Array<{ index: number; startMs: number }> = [];

const svc = await startBenchService('fallback-viewers', {}, 2);
let browser: Browser | undefined;
try {
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  // The browser process is our child: its CPU (with its closed renderers') is what the viewers cost this machine.
  const browserPid = childPids(process.pid).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('chromium'));
  if (!browserPid) throw new Error('no Chromium process among our children');
  // Warm-up, not measured: one render and its page through the whole path (the watch script
  // bundled, the preview process started, Chromium's caches), then the worker idle again.
  {
    const r = await fetch(`${svc.base}/v1/renders`, { method: 'POST', headers: svc.json, body: JSON.stringify({ template: 'bench-ref', data: person(), mode: 'eager' }) });
    const a = (await r.json()) as { id: string; player_url: string };
    if (r.status !== 201) throw new Error(`POST ${r.status}: ${JSON.stringify(a)}`);
    const w = await watch(browser, a.player_url, false);
    console.error(`warm-up view: ${JSON.stringify(w)}`);
    for (let t0 = Date.now(); ; ) {
      const s = (await (await fetch(`${svc.base}/v1/renders/${a.id}`, { headers: svc.json })).json()) as { state: string; segments: Array<{ index: number; kind: string; duration: number }> };
      if (s.state === 'failed' || Date.now() - t0 > 60_000) throw new Error(`warm-up render: ${JSON.stringify(s).slice(0, 400)}`);
      if (s.state === 'done') {
        let t = 0;
        for (const seg of s.segments) {
          if (seg.kind === 'dynamic') DYNAMIC.push({ index: seg.index, startMs: t * 1000 });
          t += seg.duration;
        }
        break;
      }
      await sleep(250);
    }
    await sleep(3000);
  }
  const server = await round8(svc, browser, browserPid, true);
  console.error(JSON.stringify({ server_stream: { ...server, views: server.views.map((v) => ({ ...v, log: undefined })), margins_ms: undefined } }));
  await sleep(3000);
  const fallback = await round8(svc, browser, browserPid, false);
  console.error(JSON.stringify({ browser_fallback: { ...fallback, views: fallback.views.map((v) => ({ ...v, log: undefined })), margins_ms: undefined } }));
  writeResult('fallback-viewers', { started: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, load_1min_at_end: os.loadavg()[0], viewers: VIEWERS, worker_concurrency: 2, server_stream: server, browser_fallback: fallback });
} finally {
  await browser?.close();
  await svc.stop();
}
