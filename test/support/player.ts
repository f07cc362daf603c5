// Plays an HLS URL with hls.js in Debian's Chromium (headless) and reports
// what happened. Reports everything, asserts nothing.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';
import { startStaticServer } from './static-server.ts';

const require = createRequire(import.meta.url);

export interface PlaybackReport {
  ended: boolean;
  /** hls.js ERROR events (fatal or not), video element errors, uncaught page errors, crashes, timeouts. */
  errors: string[];
  /** Every hls.js warn-level message, formatted like `log` lines. */
  warnings: string[];
  /** `waiting` events after the first `playing`. */
  waitingAfterStart: number;
  /** video.buffered at the end, in seconds. */
  bufferedRanges: Array<[number, number]>;
  /** video.duration at the end (NaN if never known). */
  duration: number;
  /** ms from hls.loadSource() to the first `playing` event (-1 if it never played). */
  firstFrameMs: number;
  /** Everything: hls.js logger output (all levels), media events, errors. `[+ms] [media s] [level] msg`. */
  log: string[];
  /** Structured form of `log`, for filtering by media time. */
  entries: PlaybackLogEntry[];
  /** Playback stopped advancing for stallTimeoutMs after it had started (the run then ended early). */
  stalled: boolean;
  /** video.currentTime at the end. */
  finalTime: number;
  /** Wall-clock ms the whole run took (browser launch included). */
  wallMs: number;
}

export interface PlaybackLogEntry {
  level: 'trace' | 'debug' | 'log' | 'info' | 'warn' | 'error' | 'event' | 'console';
  /** ms since hls.loadSource() (negative: before it). */
  ms: number;
  /** video.currentTime when the message was recorded. */
  mediaTime: number;
  /**
   * Media position the message itself names, when it names one (hls.js's
   * "hole ... detected at X", "Injecting N audio frames @ Xs", "skipping hole,
   * adjusting currentTime from X"). Fragments are remuxed ahead of playback, so
   * this is the better place to judge "after the first 0.5 s" by.
   */
  position?: number;
  msg: string;
}

/** Extracts the media position an hls.js message refers to (see PlaybackLogEntry.position). */
export function messagePosition(msg: string): number | undefined {
  const m =
    /detected at (-?\d+(?:\.\d+)?)/.exec(msg) ??
    /audio frames @ (-?\d+(?:\.\d+)?)s/.exec(msg) ??
    /adjusting currentTime from (-?\d+(?:\.\d+)?)/.exec(msg);
  // Not parsed: "Audio frame @ Xs overlaps marker" - X there is the absolute PTS, not a playlist position.
  return m ? Number(m[1]) : undefined;
}

export interface PlayOptions {
  /** Global timeout for the whole run, default 120 000 ms. */
  timeoutMs?: number;
  /** video.playbackRate, default 2. */
  playbackRate?: number;
  /** End the run early when currentTime has not advanced for this long after the first `playing`, default 15 000 ms. */
  stallTimeoutMs?: number;
  /** Extra hls.js config merged over the defaults (debug logger is always ours). */
  hlsConfig?: Record<string, unknown>;
}

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--mute-audio',
];

/** Log lines that mean the stream has timestamp holes/overlaps hls.js had to paper over. */
export const HLSJS_GAP_PATTERN = /hole between fragments|overlapping|overlaps marker|Injecting|skipping hole/i;

/**
 * The fail conditions from the design doc as strings (empty = pass). A helper
 * for callers; playInChromium itself never asserts.
 */
export function playbackFailures(r: PlaybackReport, graceMediaTime = 0.5): string[] {
  const out: string[] = [];
  if (r.errors.length) out.push(`errors: ${r.errors.join(' | ')}`);
  const gaps = r.entries.filter((e) => (e.position ?? e.mediaTime) > graceMediaTime && HLSJS_GAP_PATTERN.test(e.msg));
  for (const g of gaps) out.push(`hls.js: [${(g.position ?? g.mediaTime).toFixed(3)}s] ${g.msg}`);
  if (r.bufferedRanges.length !== 1) out.push(`buffered ranges at end: ${JSON.stringify(r.bufferedRanges)} (expected exactly one)`);
  if (r.waitingAfterStart > 0) out.push(`${r.waitingAfterStart} 'waiting' event(s) after the first 'playing'`);
  if (!r.ended) out.push(`not ended (currentTime ${r.finalTime}, duration ${r.duration}${r.stalled ? ', stalled' : ''})`);
  return out;
}

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>kasane player check</title></head>
<body>
<video id="v" muted playsinline></video>
<script src="/hls.min.js"></script>
<script>
(function () {
  var params = new URLSearchParams(location.search);
  var src = params.get('src');
  var rate = Number(params.get('rate') || '2');
  var stallMs = Number(params.get('stall') || '15000');
  var extra = JSON.parse(params.get('cfg') || '{}');
  var video = document.getElementById('v');
  var S = window.__kasane = {
    t0: performance.now(), ended: false, done: false, stalled: false, fatal: false,
    errors: [], entries: [], waitingAfterStart: 0, firstPlayingMs: -1, started: false,
  };
  function now() { return performance.now() - S.t0; }
  function fmt(args) {
    var parts = [];
    for (var i = 0; i < args.length; i++) {
      var a = args[i];
      if (typeof a === 'string') parts.push(a);
      else if (a instanceof Error) parts.push(a.name + ': ' + a.message);
      else { try { parts.push(JSON.stringify(a)); } catch (e) { parts.push(String(a)); } }
    }
    return parts.join(' ');
  }
  function rec(level, msg) {
    try { S.entries.push({ level: level, ms: now(), mediaTime: video.currentTime, msg: msg }); } catch (e) {}
  }
  // hls.js calls these with (message, ...args); it disables all logging if one throws.
  var logger = {};
  ['trace', 'debug', 'log', 'info', 'warn', 'error'].forEach(function (level) {
    logger[level] = function () { try { rec(level, fmt(arguments)); } catch (e) {} };
  });
  // Uncaught errors reach S.errors through Playwright's 'pageerror'; here they only go to the log.
  window.addEventListener('error', function (e) { rec('error', 'page error: ' + e.message); });
  window.addEventListener('unhandledrejection', function (e) { rec('error', 'unhandled rejection: ' + fmt([e.reason])); });
  if (!window.Hls || !Hls.isSupported()) {
    S.errors.push('hls.js not supported in this browser (MSE / codecs)');
    S.done = true;
    return;
  }
  ['loadstart', 'loadedmetadata', 'loadeddata', 'canplay', 'canplaythrough', 'play', 'pause', 'seeking', 'seeked', 'stalled', 'durationchange', 'ratechange', 'emptied'].forEach(function (ev) {
    video.addEventListener(ev, function () { rec('event', ev + (ev === 'durationchange' ? ' ' + video.duration : '') + (ev === 'ratechange' ? ' ' + video.playbackRate : '')); });
  });
  function applyRate() {
    if (video.playbackRate !== rate) { video.defaultPlaybackRate = rate; video.playbackRate = rate; }
  }
  video.addEventListener('loadedmetadata', applyRate);
  video.addEventListener('playing', function () {
    rec('event', 'playing');
    applyRate();
    if (!S.started) { S.started = true; S.firstPlayingMs = now(); }
  });
  video.addEventListener('waiting', function () {
    rec('event', 'waiting');
    if (S.started && !S.ended) S.waitingAfterStart++;
  });
  video.addEventListener('ended', function () { rec('event', 'ended'); S.ended = true; S.done = true; });
  video.addEventListener('error', function () {
    var err = video.error;
    var m = 'video element error: code ' + (err && err.code) + ' ' + ((err && err.message) || '');
    S.errors.push(m); rec('error', m);
  });
  var cfg = Object.assign({ debug: logger, enableWorker: true }, extra, { debug: logger });
  var hls = window.__hls = new Hls(cfg);
  hls.on(Hls.Events.ERROR, function (_ev, d) {
    var parts = [d.fatal ? 'FATAL' : 'non-fatal', d.type, d.details];
    if (d.reason) parts.push('reason=' + d.reason);
    if (d.error && d.error.message && d.error.message !== d.reason) parts.push('error=' + d.error.message);
    if (d.frag) parts.push('frag sn=' + d.frag.sn + ' ' + d.frag.url);
    if (d.response && d.response.code !== undefined) parts.push('http=' + d.response.code);
    if (d.buffer !== undefined) parts.push('buffer=' + d.buffer);
    var m = 'hls.js ' + parts.join(' ');
    S.errors.push(m); rec('error', m);
    if (d.fatal) { S.fatal = true; setTimeout(function () { S.done = true; }, 1000); }
  });
  // Start playing once the first fragment is in the buffer. H.264 with B-frames
  // starts its first PTS a frame or two after the DTS hls.js maps to 0, so the
  // buffer begins at ~0.067 s; if the element is already playing at 0, hls.js's
  // gap controller races Chromium to jump that start gap and, when it wins,
  // reports a non-fatal bufferSeekOverHole error - on a perfectly clean stream.
  // Starting at the first buffered position (when that is < 0.5 s away) is what
  // a careful player does and makes the run deterministic; larger start gaps
  // are left alone so hls.js reports them.
  var playRequested = false;
  hls.on(Hls.Events.FRAG_BUFFERED, function () {
    if (playRequested) return;
    playRequested = true;
    var b = video.buffered;
    if (b.length && video.currentTime < b.start(0) && b.start(0) - video.currentTime < 0.5) {
      rec('event', 'harness: start gap ' + video.currentTime + ' -> ' + b.start(0) + ', starting at the first buffered position');
      video.currentTime = b.start(0);
    }
    var p = video.play();
    if (p && p.catch) p.catch(function (e) { S.errors.push('video.play() rejected: ' + fmt([e])); });
  });
  var lastTime = -1, lastChange = performance.now();
  setInterval(function () {
    if (S.done) return;
    if (video.currentTime !== lastTime) { lastTime = video.currentTime; lastChange = performance.now(); return; }
    if (S.started && !video.paused && performance.now() - lastChange > stallMs) {
      S.stalled = true; S.done = true;
      rec('error', 'stalled: currentTime ' + video.currentTime + ' has not advanced for ' + stallMs + ' ms');
    }
  }, 250);
  S.t0 = performance.now();
  hls.loadSource(src);
  hls.attachMedia(video);
})();
</script>
</body></html>
`;

interface PageState {
  ended: boolean;
  done: boolean;
  stalled: boolean;
  errors: string[];
  entries: PlaybackLogEntry[];
  waitingAfterStart: number;
  firstPlayingMs: number;
  buffered: Array<[number, number]>;
  duration: number;
  currentTime: number;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects after `ms`; the underlying work is not cancelled (the browser is closed by the caller). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`timeout: ${what} (${Math.round(ms)} ms)`)), Math.max(1, ms));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

function formatEntry(e: PlaybackLogEntry): string {
  const ms = Number.isFinite(e.ms) ? `+${e.ms.toFixed(0)}ms` : '-';
  const mt = (Number.isFinite(e.mediaTime) ? `${e.mediaTime.toFixed(3)}s` : '-') + (e.position !== undefined ? ` @${e.position}s` : '');
  return `[${ms}] [${mt}] [${e.level}] ${e.msg}`;
}

export async function playInChromium(playlistUrl: string, opts: PlayOptions = {}): Promise<PlaybackReport> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = started + timeoutMs;
  const left = () => deadline - Date.now();
  const rate = opts.playbackRate ?? 2;

  const report: PlaybackReport = {
    ended: false,
    errors: [],
    warnings: [],
    waitingAfterStart: 0,
    bufferedRanges: [],
    duration: NaN,
    firstFrameMs: -1,
    log: [],
    entries: [],
    stalled: false,
    finalTime: NaN,
    wallMs: 0,
  };
  const sideEntries: PlaybackLogEntry[] = [];
  const side = (level: PlaybackLogEntry['level'], msg: string) => sideEntries.push({ level, ms: NaN, mediaTime: NaN, msg });

  const hlsJs = await readFile(require.resolve('hls.js/dist/hls.min.js'));
  const server = await startStaticServer(null, {
    '/': Buffer.from(PAGE_HTML),
    '/index.html': Buffer.from(PAGE_HTML),
    '/hls.min.js': hlsJs,
    '/favicon.ico': Buffer.alloc(0),
  });
  let launching: Promise<Browser> | undefined;
  let browser: Browser | undefined;
  let state: PageState | undefined;
  try {
    // headless defaults to true in playwright-core, which adds --headless itself;
    // passing it again in args is harmless (Chromium takes the last one).
    launching = chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: Math.max(1000, left()) });
    browser = await within(launching, left(), 'launching Chromium');
    const page = await browser.newPage();
    page.on('pageerror', (e) => report.errors.push(`page error: ${e.message}`));
    page.on('crash', () => report.errors.push('page crashed'));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') side('console', `${m.type()}: ${m.text()}`);
    });
    const q = new URLSearchParams({
      src: playlistUrl,
      rate: String(rate),
      stall: String(opts.stallTimeoutMs ?? 15_000),
      cfg: JSON.stringify(opts.hlsConfig ?? {}),
    });
    await page.goto(`${server.origin}/?${q}`, { timeout: Math.max(1000, left()), waitUntil: 'load' });

    const snapshot = () =>
      page.evaluate(() => {
        const w = window as unknown as { __kasane?: Record<string, unknown> };
        const S = w.__kasane ?? {};
        const v = document.getElementById('v') as HTMLVideoElement | null;
        const buffered: Array<[number, number]> = [];
        if (v) for (let i = 0; i < v.buffered.length; i++) buffered.push([v.buffered.start(i), v.buffered.end(i)]);
        return {
          ended: !!S.ended,
          done: !!S.done,
          stalled: !!S.stalled,
          errors: (S.errors as string[]) ?? [],
          entries: (S.entries as PlaybackLogEntry[]) ?? [],
          waitingAfterStart: (S.waitingAfterStart as number) ?? 0,
          firstPlayingMs: (S.firstPlayingMs as number) ?? -1,
          buffered,
          duration: v ? v.duration : NaN,
          currentTime: v ? v.currentTime : NaN,
        };
      });
    const isDone = () =>
      page.evaluate(() => !!(window as unknown as { __kasane?: { done?: boolean } }).__kasane?.done);

    let finished = false;
    while (left() > 0) {
      if (await within(isDone(), left(), 'polling the page')) {
        finished = true;
        break;
      }
      await sleep(Math.min(250, Math.max(0, left())));
    }
    if (!finished) report.errors.push(`timeout: playback did not finish within ${timeoutMs} ms`);
    // A few seconds of grace for the final snapshot even when the deadline passed.
    state = await within(snapshot(), Math.max(left(), 5000), 'reading the final state');
  } catch (e) {
    report.errors.push(`harness: ${(e as Error).message}`);
  } finally {
    if (browser) await within(browser.close(), 10_000, 'closing Chromium').catch(() => undefined);
    else if (launching) void launching.then((b) => b.close()).catch(() => undefined); // launch outlived our deadline
    await server.close();
  }

  if (state) {
    report.ended = state.ended;
    report.errors.push(...state.errors);
    report.entries = state.entries.map((e) => {
      const position = messagePosition(e.msg);
      return position === undefined ? e : { ...e, position };
    });
    report.waitingAfterStart = state.waitingAfterStart;
    report.bufferedRanges = state.buffered;
    report.duration = state.duration ?? NaN; // NaN survives structured clone
    report.firstFrameMs = state.firstPlayingMs;
    report.stalled = state.stalled;
    report.finalTime = state.currentTime;
  }
  report.entries.push(...sideEntries);
  report.warnings = report.entries.filter((e) => e.level === 'warn').map(formatEntry);
  report.log = report.entries.map(formatEntry);
  report.wallMs = Date.now() - started;
  return report;
}
