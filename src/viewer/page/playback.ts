// What the video plays: the stitched stream (index.m3u8), or, while this person's
// personal segments are not ready, the template rendition with the overlays composited
// here (README "How the watch page chooses…").
import { startComposite, type LoadedLayer, type LoadedPlan } from './composite.ts';
import type { CompositePlan, WatchConfig } from './contract.ts';
import type { Then } from './once.ts';
import { attachSource } from './source.ts';

const STITCHED = 'index.m3u8';

/** iPhone/iPad fullscreen is the system player, which shows no canvas: the stitched stream there. */
function isIos(): boolean {
  const ua = navigator.userAgent;
  return /iP(hone|od|ad)/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1);
}

export function wantsComposite(config: WatchConfig): boolean {
  return config.ready === false && !isIos() && typeof fetch === 'function' && typeof Promise === 'function';
}

function decoded(src: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = src;
  if (typeof img.decode === 'function') return img.decode().then(() => img);
  return new Promise((ok, no) => {
    img.onload = () => ok(img);
    img.onerror = no;
  });
}

/** overlays.json with every layer image decoded: only then play, so nothing pops in late. */
async function loadPlan(): Promise<LoadedPlan> {
  const r = await fetch('overlays.json');
  if (!r.ok) throw new Error(String(r.status));
  const p = (await r.json()) as CompositePlan;
  const layers = await Promise.all(p.layers.map(async (l): Promise<LoadedLayer> => ({ ...l, img: await decoded(l.image) })));
  return { ...p, layers };
}

/** Readies the video to play (`then` when it may): the composite when wanted and possible, else the stitched stream. */
export function loadPlayback(v: HTMLVideoElement, stage: HTMLElement, composite: boolean, then: Then): void {
  v.preload = 'auto';
  if (!composite) return attachSource(v, stage, STITCHED, then);
  loadPlan().then(
    (p) => {
      startComposite(v, stage, p);
      // The template rendition playable before playing: playback starts without a wait.
      attachSource(v, stage, p.base, () => {
        if (v.readyState >= 3) return then();
        v.addEventListener('canplay', function go() {
          v.removeEventListener('canplay', go);
          then();
        });
      });
    },
    () => attachSource(v, stage, STITCHED, then),
  );
}
