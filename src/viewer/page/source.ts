// The HLS playlist into the video element: natively where the browser plays HLS (Safari,
// Chrome on Android), else with hls.js from this service, fetched only then.
import type HlsType from 'hls.js';
import type { Then } from './once.ts';

declare global {
  interface Window {
    Hls?: typeof HlsType;
  }
}

export function attachSource(v: HTMLVideoElement, stage: HTMLElement, url: string, then: Then): void {
  stage.setAttribute('data-playlist', url);
  if (v.canPlayType('application/vnd.apple.mpegurl')) {
    v.src = url;
    return then();
  }
  const s = document.createElement('script');
  s.src = '/player/hls.min.js';
  s.onload = () => {
    const Hls = window.Hls;
    if (Hls && Hls.isSupported()) {
      const h = new Hls({ maxBufferLength: 30 });
      h.loadSource(url);
      h.attachMedia(v);
    } else v.src = url;
    then();
  };
  s.onerror = () => {
    v.src = url;
    then();
  };
  document.head.appendChild(s);
}
