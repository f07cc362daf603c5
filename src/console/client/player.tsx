// Plays a render in the page: native HLS where the browser has it, else hls.js
// from this service (/player/hls.min.js, the watch page's copy from node_modules).
import { useEffect, useRef, useState } from 'preact/hooks';
import { L } from './i18n.ts';

interface HlsInstance {
  loadSource(url: string): void;
  attachMedia(v: HTMLVideoElement): void;
  destroy(): void;
}
interface HlsStatic {
  new (): HlsInstance;
  isSupported(): boolean;
}

let hlsScript: Promise<HlsStatic> | null = null;
function loadHls(): Promise<HlsStatic> {
  hlsScript ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/player/hls.min.js';
    s.onload = () => resolve((window as unknown as { Hls: HlsStatic }).Hls);
    s.onerror = () => reject(new Error('hls.js did not load'));
    document.head.append(s);
  });
  return hlsScript;
}

export function Player(p: { src: string; poster?: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    let hls: HlsInstance | null = null;
    if (v.canPlayType('application/vnd.apple.mpegurl')) v.src = p.src;
    else
      loadHls().then(
        (Hls) => {
          if (!Hls.isSupported()) return setError(L('このブラウザーでは再生できません。', 'This browser cannot play HLS.'));
          hls = new Hls();
          hls.loadSource(p.src);
          hls.attachMedia(v);
        },
        (e: Error) => setError(e.message),
      );
    return () => hls?.destroy();
  }, [p.src]);
  return (
    <div class="player">
      <video ref={ref} controls muted playsInline poster={p.poster} aria-label={L('作成した動画', 'The rendered video')} />
      {error && <p class="error">{error}</p>}
    </div>
  );
}
