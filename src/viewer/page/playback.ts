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

/** The composite plan when the page composites (not ready, the plan in its data island, a browser that can). */
export function compositeOf(config: WatchConfig): CompositePlan | null {
  const can = !isIos() && typeof Promise === 'function';
  return config.ready === false && config.composite && can ? config.composite : null;
}

function decoded(src: string): Promise<CanvasImageSource> {
  const img = new Image();
  img.src = src;
  const loaded: Promise<HTMLImageElement> =
    typeof img.decode === 'function'
      ? img.decode().then(() => img)
      : new Promise((ok, no) => {
          img.onload = () => ok(img);
          img.onerror = no;
        });
  // A bitmap ready to draw: drawing a freshly decoded <img> the first time, when its layer
  // begins, held the picture 0.4–0.7 s on busy pages (bench/README run K).
  return loaded.then((i) => (typeof createImageBitmap === 'function' ? createImageBitmap(i).catch(() => i) : i));
}

/** Every layer image decoded (the page's head has been fetching them since it was parsed). */
async function loadLayers(p: CompositePlan): Promise<LoadedPlan> {
  const layers = await Promise.all(p.layers.map(async (l): Promise<LoadedLayer> => ({ ...l, img: await decoded(l.image) })));
  return { ...p, layers };
}

/**
 * `then` once the video can play on without a wait: `canplaythrough`, not `canplay`. With
 * only the current frame and a little more buffered, 4–6 of 8 pages opened at once held
 * their first frame 0.3–0.7 s after `playing` (bench/README, runs F and G).
 */
function whenPlayable(v: HTMLVideoElement, then: Then): void {
  if (v.readyState >= 4) return then();
  v.addEventListener('canplaythrough', function go() {
    v.removeEventListener('canplaythrough', go);
    then();
  });
}

/**
 * Readies the video to play (`then` when it may): the composite when wanted, else the
 * stitched stream. The composite buffers the template rendition while its layer images
 * arrive, and plays only once it has both: nothing pops in late. If an image cannot be
 * had, the stitched stream instead.
 */
export function loadPlayback(v: HTMLVideoElement, stage: HTMLElement, plan: CompositePlan | null, then: Then): void {
  v.preload = 'auto';
  if (!plan) return void attachSource(v, stage, STITCHED, then);
  let loaded: LoadedPlan | null = null;
  let playable = false;
  let failed = false;
  const go = () => {
    if (!loaded || !playable) return;
    startComposite(v, stage, loaded);
    then();
  };
  const detach = attachSource(v, stage, plan.base, () => whenPlayable(v, () => {
    if (failed) return;
    playable = true;
    go();
  }));
  loadLayers(plan).then(
    (p) => {
      loaded = p;
      go();
    },
    () => {
      failed = true;
      detach();
      attachSource(v, stage, STITCHED, then);
    },
  );
}
