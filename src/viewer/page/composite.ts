// The browser composite: this person's overlays drawn on a canvas over the template
// rendition, frame by frame as the server's compositor would (src/viewer/composite.ts).
import type { CompositeLayer, CompositePlan } from './contract.ts';
import { byId } from './dom.ts';
import { frameClock, type FrameClock } from './frame-clock.ts';
import { layerPose } from './layer-pose.ts';

export interface LoadedLayer extends CompositeLayer {
  /** The layer's image, decoded: drawn as is; the server's blend of it is the same arithmetic (BT.709, pictures in gamut: src/video/colour.ts). */
  img: CanvasImageSource;
}
export type LoadedPlan = Omit<CompositePlan, 'layers'> & { layers: LoadedLayer[] };

interface Painter {
  /** Draws frame f's overlays unless they are already on the canvas. */
  draw(f: number): void;
  /** The canvas changed size or the clock moved: the next draw paints again. */
  invalidate(): void;
}

function painter(canvas: HTMLCanvasElement, p: LoadedPlan): Painter {
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2d canvas');
  const rate = p.fps.num / p.fps.den;
  let shown = -1;
  // Whether the canvas holds anything: outside every layer's window a clear canvas stays
  // as it is (a full clear each frame is most of the page's own CPU on a phone).
  let dirty = true;
  return {
    invalidate: () => {
      shown = -1;
      dirty = true;
    },
    draw(f) {
      if (f === shown) return;
      shown = f;
      const poses = p.layers.map((l) => [l, layerPose(l, f, rate)] as const).filter(([, pose]) => pose);
      if (dirty || poses.length) {
        g.setTransform(1, 0, 0, 1, 0, 0);
        g.clearRect(0, 0, canvas.width, canvas.height);
        g.setTransform(canvas.width / p.width, 0, 0, canvas.height / p.height, 0, 0);
        for (const [l, pose] of poses) {
          g.globalAlpha = pose!.alpha;
          g.drawImage(l.img, pose!.x, pose!.y);
        }
        g.globalAlpha = 1;
        dirty = poses.length > 0;
      }
      canvas.setAttribute('data-frame', String(f));
    },
  };
}

/**
 * The video's picture inside its element (object-fit: contain): the canvas covers exactly
 * that, at the video's own resolution. The browser then scales canvas and video alike, so
 * each overlay is blended at the resolution the server blends it and scaled with the picture
 * (drawing at screen resolution resampled the image with another filter than the video's:
 * ~0.8 levels more from the stitched stream in the box at 1280×720).
 */
function fitCanvas(canvas: HTMLCanvasElement, v: HTMLVideoElement, p: CompositePlan): void {
  const r = v.getBoundingClientRect();
  const s = Math.min(r.width / p.width, r.height / p.height), w = p.width * s, h = p.height * s;
  // Snapped to device pixels, as the browser places the video's picture: half a pixel off
  // (a 219 px high picture centred in 844) put every overlay edge ~1 level further from the stitched stream.
  const dpr = window.devicePixelRatio || 1;
  const snap = (px: number) => Math.round(px * dpr) / dpr;
  canvas.style.left = `${snap((r.width - w) / 2)}px`;
  canvas.style.top = `${snap((r.height - h) / 2)}px`;
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  canvas.width = p.width;
  canvas.height = p.height;
}

/** Each presented frame's media time where the browser says it (requestVideoFrameCallback), else every animation frame. */
function followVideo(v: HTMLVideoElement, clock: FrameClock, paint: Painter): void {
  if (typeof v.requestVideoFrameCallback === 'function') {
    const onFrame: VideoFrameRequestCallback = (_now, m) => {
      if (clock.presented(m.mediaTime)) paint.invalidate();
      paint.draw(clock.frameOf(m.mediaTime, true));
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  } else {
    const tick = () => {
      paint.draw(clock.frameOf(v.currentTime, false));
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }
}

export function startComposite(v: HTMLVideoElement, stage: HTMLElement, p: LoadedPlan): void {
  const canvas = byId('overlays', HTMLCanvasElement);
  const clock = frameClock(v, p);
  const paint = painter(canvas, p);
  const drawNow = () => paint.draw(clock.frameOf(v.currentTime, false));
  const fit = () => {
    fitCanvas(canvas, v, p);
    paint.invalidate();
    drawNow();
  };
  canvas.hidden = false;
  stage.setAttribute('data-composite', '');
  followVideo(v, clock, paint);
  v.addEventListener('seeked', drawNow);
  window.addEventListener('resize', fit);
  v.addEventListener('loadedmetadata', fit);
  // Fullscreen of the video element alone would leave the canvas behind: the stage goes fullscreen instead.
  document.addEventListener('fullscreenchange', () => {
    if (document.fullscreenElement === v && typeof stage.requestFullscreen === 'function')
      document.exitFullscreen().then(() => stage.requestFullscreen()).catch(() => {});
  });
  fit();
}
