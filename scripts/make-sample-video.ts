// Deterministic generator for the bundled sample template's base video:
//   npx tsx scripts/make-sample-video.ts [output.mp4]
// (default output: templates/energy-savings/base.mp4)
//
// A 30 s, 1280x720, 30 fps commercial for the fictional power company
// 「かさねでんき」 (Kasane Denki). This file is the timeline: which scene
// draws when, and the soundtrack's score. The scenes are in
// scripts/energy-savings/, the shared drawing, synth and encoder in scripts/lib/.
// No network, no external assets, no unseeded randomness.
//
// Bands the service later fills with personalized overlays (kept calm here):
//   2–6 s   name line        y 470..590, x 140..1140
//   10–14 s savings amount   y 470..590
//   20–26 s items row        y 380..620
// Our own captions live in the top third (y < 240).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { drawVignette } from './lib/glow.ts';
import { encodeVideo, runIfMain, type Video } from './lib/generator.ts';
import { type Caption, type OverlayBand, quietOver } from './lib/scene-timing.ts';
import type { Chord } from './lib/synth.ts';
import { drawBackground } from './energy-savings/background.ts';
import { drawCornerBug, drawFootnote, drawTitleCard } from './energy-savings/brand.ts';
import { drawCaption } from './energy-savings/caption.ts';
import { drawEndCard } from './energy-savings/end-card.ts';
import { drawPlanChart } from './energy-savings/plan-chart.ts';
import { drawRenewable } from './energy-savings/renewable.ts';
import { H, W } from './energy-savings/style.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------- timeline

// 0–2 s is the centred brand title card.
const CAPTIONS: Caption[] = [
  { t0: 2, t1: 6, label: 'THANK YOU', text: 'いつもご利用ありがとうございます' },
  { t0: 6, t1: 10, label: 'NEW PLAN', text: '新しい料金プランのご案内' },
  { t0: 10, t1: 14, label: 'YOUR SAVINGS', text: 'あなたの年間節約額' },
  { t0: 14, t1: 20, label: '100% RENEWABLE', text: '再生可能エネルギー100%' },
  { t0: 20, t1: 26, label: 'RECOMMENDED', text: 'おすすめのプラン' },
  { t0: 26, t1: Infinity, label: 'LEARN MORE', text: 'くわしくはWebで' },
];
const SCENE_CHANGES = [2, 6, 10, 14, 20, 26];

/** Where the service will draw personalized overlays; decoration fades out there. */
const OVERLAY_BANDS: OverlayBand[] = [
  { t0: 2, t1: 6, y0: 470, y1: 590 },
  { t0: 10, t1: 14, y0: 470, y1: 590 },
  { t0: 20, t1: 26, y0: 380, y1: 620 },
];
const quiet = quietOver(OVERLAY_BANDS, { lead: 0.5, ramp: 60, depth: 0.85 });

function drawFrame(ctx: SKRSContext2D, t: number): void {
  drawBackground(ctx, t, quiet);
  drawRenewable(ctx, t, 14.05, 20);
  drawVignette(ctx, { width: W, height: H, cx: W / 2, cy: H / 2, r0: H * 0.35, r1: W * 0.75, edge: 'rgba(0,6,20,0.55)' });
  drawPlanChart(ctx, t, 6.05, 10);
  drawTitleCard(ctx, t, 0, 2);
  drawEndCard(ctx, t, 26.05);
  for (const c of CAPTIONS) drawCaption(ctx, t, c);
  drawCornerBug(ctx, t, 2.1, 26);
  drawFootnote(ctx, t);
}

// ---------------------------------------------------------------- audio

// D major; changes line up with the scene changes.
const CHORDS: Chord[] = [
  { t0: 0, t1: 6, pad: [62, 66, 69, 73, 76], bass: 38 }, // Dmaj9
  { t0: 6, t1: 10, pad: [62, 66, 69, 71], bass: 35 }, // Bm7
  { t0: 10, t1: 14, pad: [62, 66, 67, 71], bass: 43 }, // Gmaj7
  { t0: 14, t1: 17, pad: [61, 64, 69, 71], bass: 45 }, // Aadd9
  { t0: 17, t1: 20, pad: [61, 64, 66, 69], bass: 42 }, // F#m7
  { t0: 20, t1: 23, pad: [62, 66, 69, 71], bass: 43 }, // Gmaj9
  { t0: 23, t1: 26, pad: [61, 64, 69, 71], bass: 45 }, // Aadd9
  { t0: 26, t1: 30, pad: [62, 64, 66, 69, 74], bass: 38 }, // Dadd9
];

// ---------------------------------------------------------------- video

export const video: Video = {
  width: W, height: H, drawFrame,
  // soft pad, quarter-note arpeggio from 2 s to 26 s, bells on scene changes
  score: {
    chords: CHORDS, bells: { times: SCENE_CHANGES, notes: [81, 78, 74, 76, 78, 81] },
    arpeggio: { start: 2, step: 0.5, count: 48, pattern: [0, 2, 1, 3, 2, 1, 3, 2], fadeIn: 2, end: 26, fadeOut: 1.5 },
  },
  x264: { preset: 'medium', crf: 20, gopSeconds: 2 },
  tmpPrefix: 'kasane-sample-',
};

runIfMain(import.meta.url, async () => {
  const started = Date.now();
  await encodeVideo(video, path.resolve(process.argv[2] ?? path.join(ROOT, 'templates/energy-savings/base.mp4')), started);
});
