// Deterministic generator for the portrait (phone) sample template:
//   node_modules/.bin/tsx scripts/make-portrait-video.ts [output.mp4]
//     (default output: templates/phone-plan/base.mp4; also writes
//      templates/phone-plan/images/item-fallback.png)
//   node_modules/.bin/tsx scripts/make-portrait-video.ts --preview <dir>
//     (no video: PNG stills at a few times, with the overlays of
//      templates/phone-plan/template.json drawn on top, for checking the free regions)
//
// A 30 s, 1080x1920, 30 fps vertical social ad for the fictional mobile
// carrier / online shop 「かさねモバイル」 (Kasane Mobile). This file is the
// timeline: which scene draws when, and the soundtrack's score. The scenes
// are in scripts/phone-plan/, the shared drawing, synth and encoder in scripts/lib/.
// No network, no external assets, no unseeded randomness.
//
// Regions the service fills with personalized overlays (kept calm here):
//   1–5 s    greeting  「{{name}}様へ」        y 300..460,  x 80..1000
//   6–14 s   items (3 recommended products)   y 560..1360, x 60..1020
//   15–23 s  bar chart (before / after)       y 600..1300, x 80..1000
//            「年間{{yen savings}}おトク」       y 1380..1500
//   24–30 s  end card (no overlay)
// Our own captions live in y 120..260 (top) and y ≥ 1560 (bottom).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { drawVignette } from './lib/glow.ts';
import { encodeVideo, runIfMain, type Video } from './lib/generator.ts';
import { type Caption, type OverlayBand, quietOver } from './lib/scene-timing.ts';
import type { Chord } from './lib/synth.ts';
import { drawCoins, drawSparkles, drawStage } from './phone-plan/accents.ts';
import { drawBackground, drawBokeh, drawSignalWaves, type SceneTint } from './phone-plan/background.ts';
import { drawBrandBug, drawFootnote } from './phone-plan/brand.ts';
import { drawCampaignPill, drawFeatureChips, drawHeroTagline, drawTopCaption } from './phone-plan/captions.ts';
import { drawEndCard } from './phone-plan/end-card.ts';
import { drawHeroPhone } from './phone-plan/hero-phone.ts';
import { drawItemFallback } from './phone-plan/item-fallback.ts';
import { writePreview } from './phone-plan/preview.ts';
import { C, H, W } from './phone-plan/style.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEMPLATE_DIR = path.join(ROOT, 'templates/phone-plan');

// ---------------------------------------------------------------- timeline

/** Scene boundaries (s): hero + greeting, recommended items, savings chart, end card. */
const SCENES = { hero: [0, 5.6], items: [6, 14.6], chart: [15, 23.6], end: [24, Infinity] } as const;
const BELL_TIMES = [1, 6, 15, 24];

const TOP_CAPTIONS: Caption[] = [
  { t0: 0.35, t1: 5.6, label: 'THANK YOU', text: 'いつもご利用ありがとうございます' },
  { t0: 6, t1: 14.6, label: 'PICK UP', text: 'あなたへのおすすめ' },
  { t0: 15, t1: 23.6, label: 'SIMULATION', text: 'かさねモバイルにのりかえると' },
  { t0: 24, t1: Infinity, label: 'LEARN MORE', text: 'くわしくはアプリ・Webで' },
];

/** Where the service draws personalized overlays; our decoration quiets down there. */
const OVERLAY_BANDS: OverlayBand[] = [
  { t0: 1, t1: 5, y0: 300, y1: 460 },
  { t0: 6, t1: 14, y0: 560, y1: 1360 },
  { t0: 15, t1: 23, y0: 600, y1: 1500 },
];
const quiet = quietOver(OVERLAY_BANDS, { lead: 0.6, ramp: 70, depth: 0.9 });

/** Blob emphasis per scene (lilac, coral, mint, peach, violet), crossfaded at each start. */
const SCENE_TINT: SceneTint = [
  [0, [1, 1, 0.8, 1, 1]],
  [6, [0.9, 1.15, 0.7, 1.1, 0.9]],
  [15, [0.9, 0.75, 1.5, 0.9, 1]],
  [24, [1.1, 1.1, 1, 1.1, 1.2]],
];

function drawFrame(ctx: SKRSContext2D, t: number): void {
  const { hero, items, chart, end } = SCENES;
  drawBackground(ctx, t, SCENE_TINT);
  drawStage(ctx, t, items[0], items[1], 960, 520, C.white);
  drawStage(ctx, t, chart[0], chart[1], 1020, 560, C.mintLight);
  drawBokeh(ctx, t, quiet);
  drawSignalWaves(ctx, t);
  drawVignette(ctx, { width: W, height: H, cx: W / 2, cy: H * 0.48, r0: H * 0.3, r1: H * 0.72, edge: 'rgba(8,2,28,0.45)' });
  drawHeroPhone(ctx, t, hero[0], hero[1]);
  drawSparkles(ctx, t, 6.4, items[1]);
  drawCoins(ctx, t, 15.2, chart[1]);
  drawEndCard(ctx, t, end[0]);
  for (const c of TOP_CAPTIONS) drawTopCaption(ctx, t, c);
  drawHeroTagline(ctx, t, 0.9, hero[1]);
  drawCampaignPill(ctx, t, 6.4, items[1]);
  drawFeatureChips(ctx, t, 15.3, chart[1]);
  drawBrandBug(ctx, t, 1.2, chart[1]);
  drawFootnote(ctx, t);
}

// ---------------------------------------------------------------- audio

// F major; changes line up with the scene changes.
const CHORDS: Chord[] = [
  { t0: 0, t1: 6, pad: [65, 69, 72, 76, 79], bass: 41 }, // Fmaj9
  { t0: 6, t1: 10, pad: [62, 65, 69, 72, 76], bass: 38 }, // Dm9
  { t0: 10, t1: 15, pad: [62, 65, 69, 70], bass: 46 }, // B♭maj7
  { t0: 15, t1: 19, pad: [65, 69, 70, 74], bass: 43 }, // Gm9
  { t0: 19, t1: 24, pad: [65, 67, 70, 72], bass: 48 }, // C7sus4
  { t0: 24, t1: 30, pad: [65, 67, 69, 72, 77], bass: 41 }, // Fadd9
];

// ---------------------------------------------------------------- video

export const video: Video = {
  width: W, height: H, drawFrame, tmpPrefix: 'kasane-portrait-',
  // a keyframe every second: every overlay edge of this template is on a whole second
  x264: { preset: 'medium', crf: 22, gopSeconds: 1, extraArgs: ['-threads', '4'] },
  // soft pad, quarter-note arpeggio from 1 s to 27 s, bells on scene changes
  score: {
    chords: CHORDS, bells: { times: BELL_TIMES, notes: [81, 77, 79, 84] },
    arpeggio: { start: 1, step: 0.5, count: 52, pattern: [0, 2, 1, 3, 2, 4, 3, 1], fadeIn: 2, end: 27, fadeOut: 2 },
  },
};

runIfMain(import.meta.url, async () => {
  const started = Date.now();
  const args = process.argv.slice(2);
  if (args[0] === '--preview') {
    await writePreview(TEMPLATE_DIR, path.resolve(args[1] ?? '/tmp/phone-plan-preview'), drawFrame);
    return;
  }
  if (args[0] === undefined) {
    const png = path.join(TEMPLATE_DIR, 'images/item-fallback.png');
    mkdirSync(path.dirname(png), { recursive: true });
    writeFileSync(png, drawItemFallback());
    console.log(`wrote ${path.relative(process.cwd(), png)}`);
  }
  await encodeVideo(video, path.resolve(args[0] ?? path.join(TEMPLATE_DIR, 'base.mp4')), started);
});
