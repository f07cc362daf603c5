// The HLS playlist into the video element: natively where the browser plays HLS (Safari,
// Chrome on Android), else with hls.js from this service, fetched only then.
import type HlsType from 'hls.js';
import type { Then } from './once.ts';

declare global {
  interface Window {
    Hls?: typeof HlsType;
  }
}

/**
 * A personal segment the server is still rendering answers 503 + Retry-After after its
 * wait: the page keeps asking for as long as a render may take (bench/README, 8 viewers: a
 * native player paused at 0 s and stayed paused after the segment was ready), then stops
 * and says so (controls.ts shows a message with a reload button) instead of asking for ever.
 */
const RETRIES = 12;
/** hls.js: restarts after a fatal network error, each after its own RETRIES tries of the segment. */
const RESTARTS = 2;
/** Waits between tries: 1 s more each time, 8 s at most (the page's reloads and hls.js's own retries alike). */
const BACKOFF = { stepMs: 1000, maxMs: 8000 };
const backoffMs = (n: number) => Math.min(BACKOFF.maxMs, BACKOFF.stepMs * n);

/** Dispatched on the video when the page has given up on loading it. */
export const STUCK_EVENT = 'kasane-stuck';

/**
 * Failures at one position, counted until playback gets past it: returns the number of
 * this failure, or 0 once `limit` is spent (the video is then marked stuck).
 */
function failureCounter(v: HTMLVideoElement, limit: number): () => number {
  let n = 0;
  let at = 0;
  v.addEventListener('timeupdate', () => {
    if (n > 0 && v.currentTime > at + 0.5) n = 0;
  });
  return () => {
    if (n === 0) at = v.currentTime;
    if (n >= limit) {
      v.dispatchEvent(new Event(STUCK_EVENT));
      return 0;
    }
    return ++n;
  };
}

/**
 * No progress for this long while the viewer means it to play, and no error: the native
 * player is stuck, so it is treated as an error (reloaded). Longer than the server ever
 * holds a segment request (KASANE_JIT_WAIT_MS, 8 s by default). Seen in bench/README run F:
 * Chromium's own HLS, reloaded after a 503 mid-video, stalled there for good without a
 * further error; a request that never ends (a mobile network dropping it) looks the same.
 */
const STALL_MS = 20_000;

/**
 * Whether the viewer means the video to play: set by `play`, cleared by a `pause` that is
 * neither the player's own reaction to an error nor the page's reload nor the end.
 */
function playIntent(v: HTMLVideoElement): { wanted: () => boolean; reloading: (on: boolean) => void } {
  let wanted = !v.paused;
  let reloading = false;
  v.addEventListener('play', () => (wanted = true));
  v.addEventListener('pause', () => {
    if (!v.error && !reloading && !v.ended) wanted = false;
  });
  return { wanted: () => wanted, reloading: (on) => void (reloading = on) };
}

/**
 * Calls `stalled` when the video, meant to play, has not moved for STALL_MS since it last
 * moved or `touch()` was called (each error and reload does: those are handled already).
 */
function watchStall(v: HTMLVideoElement, wanted: () => boolean, stalled: () => void): { touch: () => void; stop: () => void } {
  let last = v.currentTime;
  let since = Date.now();
  const timer = setInterval(() => {
    if (!wanted() || v.ended || v.currentTime !== last) {
      last = v.currentTime;
      since = Date.now();
    } else if (Date.now() - since >= STALL_MS) {
      since = Date.now();
      stalled();
    }
  }, 1000);
  return { touch: () => void (since = Date.now()), stop: () => clearInterval(timer) };
}

/** Native HLS: on an error or a stall, load the playlist again and resume where it stopped. Returns how to stop that. */
function reloadOnError(v: HTMLVideoElement, url: string): () => void {
  const failed = failureCounter(v, RETRIES);
  const intent = playIntent(v);
  const reload = () => {
    watch.touch();
    const n = failed();
    if (!n) return;
    const at = v.currentTime;
    const play = intent.wanted() || at === 0;
    setTimeout(() => {
      // The load this starts fires a `pause` later (a task): not the viewer's.
      intent.reloading(true);
      v.src = url;
      watch.touch();
      v.addEventListener('loadedmetadata', function resume() {
        v.removeEventListener('loadedmetadata', resume);
        intent.reloading(false);
        if (at > 0) v.currentTime = at;
        if (play) void v.play().catch(() => {});
      });
    }, backoffMs(n));
  };
  const onError = () => {
    // Safari reports a segment answered 503 as MEDIA_ERR_NETWORK, Chromium's own HLS as
    // MEDIA_ERR_SRC_NOT_SUPPORTED (its demuxer could not parse it): all but an abort is retried.
    if (v.error && v.error.code !== 1 /* MEDIA_ERR_ABORTED */) reload();
  };
  const watch = watchStall(v, intent.wanted, reload);
  v.addEventListener('error', onError);
  return () => {
    v.removeEventListener('error', onError);
    watch.stop();
  };
}

/** hls.js: retry a late segment for as long as the server may take, and restart loading after a fatal network error. */
function hlsWithRetries(Hls: typeof HlsType, v: HTMLVideoElement, url: string): HlsType {
  const errorRetry = { maxNumRetry: RETRIES, retryDelayMs: BACKOFF.stepMs, maxRetryDelayMs: BACKOFF.maxMs };
  const policy = { default: { maxTimeToFirstByteMs: 20_000, maxLoadTimeMs: 60_000, timeoutRetry: errorRetry, errorRetry } };
  const h = new Hls({ maxBufferLength: 30, fragLoadPolicy: policy, playlistLoadPolicy: policy });
  const failed = failureCounter(v, RESTARTS);
  h.on(Hls.Events.ERROR, (_e, d) => {
    if (!d.fatal) return;
    if (d.type === Hls.ErrorTypes.MEDIA_ERROR) return h.recoverMediaError();
    if (d.type !== Hls.ErrorTypes.NETWORK_ERROR) return void v.dispatchEvent(new Event(STUCK_EVENT));
    const n = failed();
    if (n) setTimeout(() => h.startLoad(), backoffMs(n));
  });
  h.loadSource(url);
  h.attachMedia(v);
  return h;
}

/** Stops a source: the video loads nothing more from it (another one is attached next). */
export type Detach = () => void;

export function attachSource(v: HTMLVideoElement, stage: HTMLElement, url: string, then: Then): Detach {
  stage.setAttribute('data-playlist', url);
  let stop: () => void = () => {};
  let detached = false;
  const native = () => {
    stop = reloadOnError(v, url);
    v.src = url;
  };
  const detach = () => {
    detached = true;
    stop();
    v.removeAttribute('src');
    v.load();
  };
  if (v.canPlayType('application/vnd.apple.mpegurl')) {
    native();
    then();
    return detach;
  }
  const s = document.createElement('script');
  s.src = '/player/hls.min.js';
  s.onload = () => {
    if (detached) return;
    const Hls = window.Hls;
    if (Hls && Hls.isSupported()) {
      const h = hlsWithRetries(Hls, v, url);
      stop = () => h.destroy();
    } else native();
    then();
  };
  s.onerror = () => {
    if (detached) return;
    v.src = url;
    then();
  };
  document.head.appendChild(s);
  return detach;
}
