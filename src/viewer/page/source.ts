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
 * wait: the page must keep asking, never give up for good (bench/README, 8 viewers: a
 * native player paused at 0 s and stayed paused after the segment was ready).
 */
const RETRIES = 12;

/** Native HLS: on a network error, load the playlist again and resume where it stopped. Returns how to stop that. */
function reloadOnNetworkError(v: HTMLVideoElement, url: string): () => void {
  let tries = 0;
  const onError = () => {
    if (!v.error || v.error.code !== 2 /* MEDIA_ERR_NETWORK */ || tries >= RETRIES) return;
    tries++;
    const at = v.currentTime;
    const playing = !v.paused || at === 0;
    setTimeout(() => {
      v.src = url;
      v.addEventListener('loadedmetadata', function resume() {
        v.removeEventListener('loadedmetadata', resume);
        if (at > 0) v.currentTime = at;
        if (playing) void v.play().catch(() => {});
      });
    }, Math.min(8000, 1000 * tries));
  };
  const onPlaying = () => (tries = 0);
  v.addEventListener('error', onError);
  v.addEventListener('playing', onPlaying);
  return () => {
    v.removeEventListener('error', onError);
    v.removeEventListener('playing', onPlaying);
  };
}

/** hls.js: retry a late segment for as long as the server may take, and restart loading after a fatal network error. */
function hlsWithRetries(Hls: typeof HlsType, v: HTMLVideoElement, url: string): HlsType {
  const errorRetry = { maxNumRetry: RETRIES, retryDelayMs: 1000, maxRetryDelayMs: 8000 };
  const policy = { default: { maxTimeToFirstByteMs: 20_000, maxLoadTimeMs: 60_000, timeoutRetry: errorRetry, errorRetry } };
  const h = new Hls({ maxBufferLength: 30, fragLoadPolicy: policy, playlistLoadPolicy: policy });
  let restarts = 0;
  h.on(Hls.Events.ERROR, (_e, d) => {
    if (!d.fatal) return;
    if (d.type === Hls.ErrorTypes.NETWORK_ERROR && restarts++ < RETRIES) setTimeout(() => h.startLoad(), Math.min(8000, 1000 * restarts));
    else if (d.type === Hls.ErrorTypes.MEDIA_ERROR) h.recoverMediaError();
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
    stop = reloadOnNetworkError(v, url);
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
