// The page's controls and what they report: tap-to-play, sound on, replay, the
// call-to-action at its time and at the end, the viewing-event beacons, and what the
// viewer sees when the video could not be loaded after every retry (source.ts).
import { PROGRESS_MARKS, report } from './beacon.ts';
import type { WatchConfig } from './contract.ts';
import { byId } from './dom.ts';
import type { Then } from './once.ts';
import { STUCK_EVENT } from './source.ts';

/** `attach` readies the video (once); play() is called in its callback. */
export function wireControls(v: HTMLVideoElement, config: WatchConfig, attach: (then: Then) => void): void {
  const play = byId('play', HTMLButtonElement), unmute = byId('unmute', HTMLButtonElement), replay = byId('replay', HTMLButtonElement);
  const cta = document.getElementById('cta');
  let reached = new Set<number>(), started = false;
  const start = (withSound: boolean) => {
    if (withSound) v.muted = false;
    attach(() => {
      // Old browsers' play() returns nothing.
      const p: Promise<void> | undefined = v.play();
      p?.catch(() => (play.hidden = false));
    });
  };
  play.addEventListener('click', () => {
    play.hidden = true;
    start(true);
  });
  unmute.addEventListener('click', () => {
    v.muted = false;
    unmute.hidden = true;
    if (v.paused) v.play().catch(() => {});
  });
  replay.addEventListener('click', () => {
    replay.hidden = true;
    reached = new Set();
    report('video.replayed');
    v.currentTime = 0;
    v.play().catch(() => {});
  });
  v.addEventListener('playing', () => {
    play.hidden = true;
    replay.hidden = true;
    v.controls = true;
    unmute.hidden = !v.muted;
    if (!started) report('video.started');
    started = true;
  });
  v.addEventListener('volumechange', () => {
    if (!v.muted) unmute.hidden = true;
  });
  v.addEventListener('timeupdate', () => {
    if (cta && cta.hidden && config.ctaAt !== null && v.currentTime >= config.ctaAt) cta.hidden = false;
    if (!(v.duration > 0)) return;
    for (const m of PROGRESS_MARKS) {
      if ((v.currentTime / v.duration) * 100 < m || reached.has(m)) continue;
      reached.add(m);
      report('video.progress', m);
    }
  });
  v.addEventListener('ended', () => {
    report('video.completed');
    replay.hidden = false;
    unmute.hidden = true;
    if (cta) cta.hidden = false;
  });
  // Given up loading: say so and offer a reload, instead of a player that never starts.
  const stuck = byId('stuck', HTMLElement);
  v.addEventListener(STUCK_EVENT, () => {
    play.hidden = unmute.hidden = replay.hidden = true;
    stuck.hidden = false;
  });
  byId('reload', HTMLButtonElement).addEventListener('click', () => location.reload());
  // The CTA is a plain link: the beacon goes out, then the browser follows it.
  document.addEventListener('click', (e) => {
    if (e.target instanceof Element && e.target.closest('[data-kasane-cta]')) report('cta.clicked');
  });
  // Muted autoplay where the browser allows it; otherwise the big play button waits for a tap.
  start(false);
}
