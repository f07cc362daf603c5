// Deterministic generator for the portrait (phone) sample template:
//   node_modules/.bin/tsx scripts/make-portrait-video.ts [output.mp4]
//     (default output: samples-wip/phone-plan/base.mp4; also writes
//      samples-wip/phone-plan/images/item-fallback.png)
//   node_modules/.bin/tsx scripts/make-portrait-video.ts --preview <dir>
//     (no video: PNG stills at a few times, with mock overlays drawn from
//      samples-wip/phone-plan/template.json, for checking the free regions)
//
// A 30 s, 1080x1920, 30 fps vertical social ad for the fictional mobile
// carrier / online shop 「かさねモバイル」 (Kasane Mobile). Frames are drawn
// with @napi-rs/canvas and piped to ffmpeg as raw RGBA; the calm audio bed is
// the shared synth (scripts/lib/synth.ts) with its own score in F major.
// No network, no external assets, no unseeded randomness.
//
// Regions the service fills with personalized overlays (kept calm here):
//   1–5 s    greeting  「{{name}}様へ」        y 300..460,  x 80..1000
//   6–14 s   items (3 recommended products)   y 560..1360, x 60..1020
//   15–23 s  bar chart (before / after)       y 600..1300, x 80..1000
//            「年間{{yen savings}}おトク」       y 1380..1500
//   24–30 s  end card (no overlay)
// Our own captions live in y 120..260 (top) and y ≥ 1560 (bottom).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Canvas, createCanvas, type Image, loadImage, type SKRSContext2D } from '@napi-rs/canvas';
import { easeInOut, easeOut, easeOutBack, mulberry32, rgba, smooth, TAU, win } from './lib/anim.ts';
import { encodeMp4 } from './lib/encode.ts';
import { registerFonts } from './lib/fonts.ts';
import { type Chord, synthesize } from './lib/synth.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE_DIR = path.join(ROOT, 'samples-wip/phone-plan');

const W = 1080;
const H = 1920;
const FPS = 30;
const DURATION = 30;
const FRAMES = FPS * DURATION; // 900
const SR = 48000;

const FONT = '"Noto Sans JP"';
const C = {
  bgTop: '#1a1340',
  bgMid: '#33205e',
  bgBottom: '#562a6a',
  coral: '#ff7a93',
  coralDeep: '#f0527a',
  peach: '#ffb98c',
  lilac: '#a595ff',
  lilacLight: '#d8d0ff',
  mint: '#5fe0c8',
  mintLight: '#bff6eb',
  gold: '#ffd77a',
  ink: '#1b1538',
  white: '#ffffff',
};

// ---------------------------------------------------------------- timeline

/** Scene boundaries (s): hero + greeting, recommended items, savings chart, end card. */
const SCENES = { hero: [0, 5.6], items: [6, 14.6], chart: [15, 23.6], end: [24, Infinity] } as const;
const BELL_TIMES = [1, 6, 15, 24];

/** Where the service draws personalized overlays; our decoration quiets down there. */
const OVERLAY_BANDS = [
  { t0: 1, t1: 5, y0: 300, y1: 460 },
  { t0: 6, t1: 14, y0: 560, y1: 1360 },
  { t0: 15, t1: 23, y0: 600, y1: 1500 },
];
function calm(t: number, y: number): number {
  let k = 1;
  for (const b of OVERLAY_BANDS) {
    const tw = win(t, b.t0 - 0.6, b.t1 + 0.6, 0.5);
    const yw = Math.min(smooth((y - (b.y0 - 70)) / 70), smooth((b.y1 + 70 - y) / 70));
    k = Math.min(k, 1 - 0.9 * tw * yw);
  }
  return k;
}

// ---------------------------------------------------------------- small drawing helpers

function spacedText(ctx: SKRSContext2D, text: string, x: number, y: number, spacing: number): void {
  ctx.save();
  ctx.letterSpacing = `${spacing}px`;
  ctx.textAlign = 'center';
  // letter spacing adds trailing space after the last glyph; shift to stay centred
  ctx.fillText(text, x + spacing / 2, y);
  ctx.restore();
}

function spacedWidth(ctx: SKRSContext2D, text: string, spacing: number): number {
  ctx.save();
  ctx.letterSpacing = `${spacing}px`;
  const w = ctx.measureText(text).width - spacing;
  ctx.restore();
  return w;
}

/** Cached offscreen drawings (static text, icons) so each frame only blits them. */
const sprites = new Map<string, Canvas>();
function sprite(key: string, w: number, h: number, draw: (c: SKRSContext2D) => void): Canvas {
  let s = sprites.get(key);
  if (!s) {
    s = createCanvas(Math.ceil(w), Math.ceil(h));
    draw(s.getContext('2d'));
    sprites.set(key, s);
  }
  return s;
}

// ---------------------------------------------------------------- brand

/** 「重ね」 mark: three stacked rounded cards (lilac, coral, mint). s ≈ half width. */
function drawLogo(ctx: SKRSContext2D, cx: number, cy: number, s: number, alpha = 1): void {
  const layers: [string, number][] = [
    [C.lilac, -1],
    [C.coral, 0],
    [C.mint, 1],
  ];
  const size = s * 1.15;
  const step = s * 0.3;
  ctx.save();
  ctx.globalAlpha *= alpha;
  for (const [color, k] of layers) {
    const x = cx - size / 2 + k * step;
    const y = cy - size / 2 - k * step;
    ctx.save();
    ctx.translate(x + size / 2, y + size / 2);
    ctx.rotate(-0.12);
    ctx.fillStyle = color;
    ctx.globalAlpha *= k === 1 ? 1 : 0.9;
    ctx.beginPath();
    ctx.roundRect(-size / 2, -size / 2, size, size, size * 0.26);
    ctx.fill();
    ctx.restore();
  }
  // a small white "signal" arc on the front card
  ctx.strokeStyle = rgba(C.white, 0.95);
  ctx.lineCap = 'round';
  ctx.lineWidth = s * 0.11;
  const fx = cx + step;
  const fy = cy - step;
  for (let i = 0; i < 2; i++) {
    ctx.beginPath();
    ctx.arc(fx - size * 0.18, fy + size * 0.2, size * (0.24 + i * 0.2), -Math.PI / 2 + 0.05, -0.05);
    ctx.stroke();
  }
  ctx.fillStyle = C.white;
  ctx.beginPath();
  ctx.arc(fx - size * 0.18, fy + size * 0.2, s * 0.085, 0, TAU);
  ctx.fill();
  ctx.restore();
}

// ---------------------------------------------------------------- background

interface Blob {
  color: string;
  alpha: number;
  r: number;
  x: number;
  y: number;
  ax: number;
  ay: number;
  px: number; // period (s) of horizontal drift
  py: number;
  ph: number;
}
const BLOBS: Blob[] = [
  { color: C.lilac, alpha: 0.42, r: 760, x: 180, y: 520, ax: 120, ay: 140, px: 37, py: 29, ph: 0.3 },
  { color: C.coral, alpha: 0.36, r: 680, x: 960, y: 300, ax: 110, ay: 120, px: 31, py: 41, ph: 1.7 },
  { color: C.mint, alpha: 0.22, r: 640, x: 900, y: 1320, ax: 140, ay: 160, px: 27, py: 33, ph: 4.1 },
  { color: C.peach, alpha: 0.3, r: 720, x: 160, y: 1700, ax: 120, ay: 110, px: 43, py: 26, ph: 2.6 },
  { color: '#6b55e0', alpha: 0.34, r: 820, x: 560, y: 1040, ax: 180, ay: 200, px: 23, py: 35, ph: 5.2 },
];

/** Per-scene emphasis of the blobs (crossfaded), so each scene has its own tint. */
const SCENE_TINT: [number, number[]][] = [
  [0, [1, 1, 0.8, 1, 1]],
  [6, [0.9, 1.15, 0.7, 1.1, 0.9]],
  [15, [0.9, 0.75, 1.5, 0.9, 1]],
  [24, [1.1, 1.1, 1, 1.1, 1.2]],
];
function tint(t: number, i: number): number {
  let v = SCENE_TINT[0]?.[1][i] ?? 1;
  for (const [t0, w] of SCENE_TINT) {
    const k = smooth((t - t0 + 0.6) / 1.2);
    v = v + ((w[i] ?? 1) - v) * k;
  }
  return v;
}

// The soft background is drawn at a quarter of the resolution and scaled up:
// it is all blur anyway, and it costs 1/16 of the pixels.
const BG_SCALE = 4;
const bgCanvas = createCanvas(W / BG_SCALE, H / BG_SCALE);
function drawBackground(ctx: SKRSContext2D, t: number): void {
  const b = bgCanvas.getContext('2d');
  b.save();
  b.setTransform(1 / BG_SCALE, 0, 0, 1 / BG_SCALE, 0, 0);
  b.globalCompositeOperation = 'source-over';
  const g = b.createLinearGradient(0, 0, W * 0.3, H);
  g.addColorStop(0, C.bgTop);
  g.addColorStop(0.55, C.bgMid);
  g.addColorStop(1, C.bgBottom);
  b.fillStyle = g;
  b.fillRect(0, 0, W, H);
  b.globalCompositeOperation = 'screen';
  BLOBS.forEach((bl, i) => {
    const x = bl.x + bl.ax * Math.sin((TAU * t) / bl.px + bl.ph);
    const y = bl.y + bl.ay * Math.sin((TAU * t) / bl.py + bl.ph * 1.3);
    const r = bl.r * (1 + 0.07 * Math.sin((TAU * t) / 17 + bl.ph));
    const a = Math.min(0.8, bl.alpha * tint(t, i));
    const rg = b.createRadialGradient(x, y, 0, x, y, r);
    rg.addColorStop(0, rgba(bl.color, a));
    rg.addColorStop(0.5, rgba(bl.color, a * 0.4));
    rg.addColorStop(1, rgba(bl.color, 0));
    b.fillStyle = rg;
    b.fillRect(x - r, y - r, 2 * r, 2 * r);
  });
  b.restore();
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'low'; // bilinear: smooth enough for blur, 2× cheaper than 'high'
  ctx.drawImage(bgCanvas, 0, 0, W, H);
  ctx.restore();
}

interface Particle {
  x: number;
  y: number;
  r: number;
  depth: number;
  sway: number;
  swayPeriod: number;
  ph: number;
  alpha: number;
  color: string;
}
const PARTICLES: Particle[] = (() => {
  const rnd = mulberry32(0x6d6f6269); // "mobi"
  const colors = [C.lilacLight, C.mintLight, C.peach, C.white, C.white];
  const out: Particle[] = [];
  for (let i = 0; i < 38; i++) {
    const depth = 0.25 + 0.75 * rnd();
    out.push({
      x: rnd() * W,
      y: rnd() * (H + 120),
      r: 3 + 12 * depth * depth,
      depth,
      sway: 10 + 26 * rnd(),
      swayPeriod: 6 + 8 * rnd(),
      ph: rnd() * TAU,
      alpha: 0.08 + 0.2 * rnd(),
      color: colors[Math.floor(rnd() * colors.length)] ?? C.white,
    });
  }
  return out;
})();

function drawParticles(ctx: SKRSContext2D, t: number): void {
  const span = H + 120;
  for (const p of PARTICLES) {
    let y = (p.y - t * (8 + 26 * p.depth)) % span;
    if (y < 0) y += span;
    y -= 60;
    const x = p.x + p.sway * Math.sin((TAU * t) / p.swayPeriod + p.ph);
    const a = p.alpha * calm(t, y);
    if (a < 0.004) continue;
    const r = p.r * 2.2;
    const rg = ctx.createRadialGradient(x, y, 0, x, y, r);
    rg.addColorStop(0, rgba(p.color, a));
    rg.addColorStop(0.4, rgba(p.color, a * 0.55));
    rg.addColorStop(1, rgba(p.color, 0));
    ctx.fillStyle = rg;
    ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
  }
}

/** Faint flowing "signal" waves along the lower edge (behind the bottom captions). */
function drawWaves(ctx: SKRSContext2D, t: number): void {
  ctx.save();
  ctx.lineWidth = 2;
  const colors = [C.mintLight, C.lilacLight, C.peach];
  for (let i = 0; i < 3; i++) {
    const base = 1548 + i * 14;
    const speed = 0.32 + i * 0.1;
    ctx.strokeStyle = rgba(colors[i] ?? C.white, 0.11 + 0.02 * i);
    ctx.beginPath();
    for (let x = -20; x <= W + 20; x += 18) {
      const y = base + 10 * Math.sin(x / 170 + t * speed + i * 1.3) + 5 * Math.sin(x / 67 - t * speed * 1.6 + i * 2.1);
      if (x === -20) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  ctx.restore();
}

// ---------------------------------------------------------------- captions

interface Caption {
  t0: number;
  t1: number;
  label: string; // small English kicker
  text: string;
}
const TOP_CAPTIONS: Caption[] = [
  { t0: 0.35, t1: 5.6, label: 'THANK YOU', text: 'いつもご利用ありがとうございます' },
  { t0: 6, t1: 14.6, label: 'PICK UP', text: 'あなたへのおすすめ' },
  { t0: 15, t1: 23.6, label: 'SIMULATION', text: 'かさねモバイルにのりかえると' },
  { t0: 24, t1: Infinity, label: 'LEARN MORE', text: 'くわしくはアプリ・Webで' },
];

function captionSprite(c: Caption): Canvas {
  return sprite(`cap:${c.text}`, W, 150, (s) => {
    // local y = frame y - 115
    s.font = `700 24px ${FONT}`;
    s.fillStyle = C.mintLight;
    spacedText(s, c.label, W / 2, 158 - 115, 7);
    const lw = spacedWidth(s, c.label, 7);
    s.strokeStyle = rgba(C.mintLight, 0.7);
    s.lineWidth = 2;
    s.lineCap = 'round';
    for (const side of [-1, 1]) {
      s.beginPath();
      s.moveTo(W / 2 + side * (lw / 2 + 18), 150 - 115);
      s.lineTo(W / 2 + side * (lw / 2 + 58), 150 - 115);
      s.stroke();
    }
    s.fillStyle = C.white;
    s.shadowColor = 'rgba(10,4,40,0.45)';
    s.shadowBlur = 16;
    s.shadowOffsetY = 2;
    s.font = `700 58px ${FONT}`;
    s.textAlign = 'center';
    s.fillText(c.text, W / 2, 230 - 115);
  });
}

function drawTopCaption(ctx: SKRSContext2D, t: number, c: Caption): void {
  const a = win(t, c.t0, c.t1, 0.35);
  if (a <= 0) return;
  const drop = (1 - easeOut((t - c.t0) / 0.6)) * 12;
  ctx.save();
  ctx.globalAlpha = a;
  ctx.drawImage(captionSprite(c), 0, 115 - drop);
  ctx.restore();
}

/** Bottom line of scene 1. */
function drawHeroTagline(ctx: SKRSContext2D, t: number): void {
  const a = win(t, 0.9, 5.6, 0.45);
  if (a <= 0) return;
  const rise = (1 - easeOut((t - 0.9) / 0.8)) * 16;
  const s = sprite('hero-tagline', W, 120, (c) => {
    c.fillStyle = C.white;
    c.font = `700 46px ${FONT}`;
    c.textAlign = 'center';
    c.shadowColor = 'rgba(10,4,40,0.4)';
    c.shadowBlur = 14;
    c.fillText('あなたにぴったりの、スマホ生活を。', W / 2, 62);
  });
  ctx.save();
  ctx.globalAlpha = a;
  ctx.drawImage(s, 0, 1600 + rise);
  ctx.restore();
}

/** Bottom of scene 2: a campaign pill with a slow shine. */
function drawCampaignPill(ctx: SKRSContext2D, t: number): void {
  const a = win(t, 6.4, 14.6, 0.4);
  if (a <= 0) return;
  const lt = t - 6.4;
  const rise = (1 - easeOut(lt / 0.7)) * 18;
  const pw = 760;
  const ph = 100;
  const x = (W - pw) / 2;
  const y = 1612 + rise;
  ctx.save();
  ctx.globalAlpha = a;
  const g = ctx.createLinearGradient(x, 0, x + pw, 0);
  g.addColorStop(0, C.coral);
  g.addColorStop(1, '#ff9a7a');
  ctx.shadowColor = 'rgba(240,82,122,0.45)';
  ctx.shadowBlur = 30;
  ctx.fillStyle = g;
  ctx.beginPath();
  ctx.roundRect(x, y, pw, ph, ph / 2);
  ctx.fill();
  ctx.shadowBlur = 0;
  // shine sweep every 3 s
  const sweep = ((lt - 0.8) % 3) / 1.1;
  if (lt > 0.8 && sweep < 1) {
    ctx.save();
    ctx.beginPath();
    ctx.roundRect(x, y, pw, ph, ph / 2);
    ctx.clip();
    const sx = x - 160 + (pw + 320) * easeInOut(sweep);
    const sg = ctx.createLinearGradient(sx - 90, 0, sx + 90, 0);
    sg.addColorStop(0, 'rgba(255,255,255,0)');
    sg.addColorStop(0.5, 'rgba(255,255,255,0.35)');
    sg.addColorStop(1, 'rgba(255,255,255,0)');
    ctx.fillStyle = sg;
    ctx.fillRect(sx - 90, y, 180, ph);
    ctx.restore();
  }
  const s = sprite('campaign-text', pw, ph, (c) => {
    c.fillStyle = C.white;
    c.textAlign = 'center';
    c.font = `700 30px ${FONT}`;
    const lead = 'いまなら';
    c.font = `700 30px ${FONT}`;
    const w1 = c.measureText(lead).width;
    c.font = `700 44px ${FONT}`;
    const rest = 'ポイント最大10%還元';
    const w2 = c.measureText(rest).width;
    const gap = 18;
    const x0 = (pw - (w1 + gap + w2)) / 2;
    c.textAlign = 'left';
    c.font = `700 30px ${FONT}`;
    c.fillText(lead, x0, 63);
    c.font = `700 44px ${FONT}`;
    c.fillText(rest, x0 + w1 + gap, 66);
  });
  ctx.drawImage(s, x, y);
  ctx.restore();
}

/** Bottom of scene 3: feature chips and the estimate note. */
function drawFeatureChips(ctx: SKRSContext2D, t: number): void {
  const a = win(t, 15.3, 23.6, 0.4);
  if (a <= 0) return;
  const lt = t - 15.3;
  const chips = ['5G対応', 'データ繰り越し', '家族割でさらにおトク'];
  ctx.save();
  ctx.font = `700 30px ${FONT}`;
  const pad = 28;
  const gap = 18;
  const widths = chips.map((c) => ctx.measureText(c).width + 2 * pad);
  const total = widths.reduce((s, w) => s + w, 0) + gap * (chips.length - 1);
  let x = (W - total) / 2;
  chips.forEach((label, i) => {
    const w = widths[i] ?? 0;
    const k = easeOutBack((lt - i * 0.15) / 0.6);
    const bob = 4 * Math.sin(t * 1.4 + i * 1.9);
    const y = 1610 + (1 - k) * 30 + bob;
    ctx.globalAlpha = a * smooth((lt - i * 0.15) / 0.4);
    ctx.fillStyle = 'rgba(255,255,255,0.13)';
    ctx.strokeStyle = rgba(C.mintLight, 0.55);
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.roundRect(x, y, w, 68, 34);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = C.white;
    ctx.textAlign = 'center';
    ctx.fillText(label, x + w / 2, y + 45);
    x += w + gap;
  });
  ctx.globalAlpha = a * 0.7;
  ctx.fillStyle = C.white;
  ctx.font = `400 24px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText('※試算はイメージです。実際の料金はご利用状況により異なります。', W / 2, 1738);
  ctx.restore();
}

function drawBrandBug(ctx: SKRSContext2D, t: number): void {
  const a = 0.9 * win(t, 1.2, 23.6, 0.5);
  if (a <= 0) return;
  const s = sprite('bug', 420, 70, (c) => {
    c.font = `700 32px ${FONT}`;
    const tw = c.measureText('かさねモバイル').width;
    const total = 52 + 14 + tw;
    const x0 = (420 - total) / 2;
    drawLogo(c, x0 + 26, 35, 20);
    c.fillStyle = C.white;
    c.textAlign = 'left';
    c.fillText('かさねモバイル', x0 + 52 + 14, 46);
  });
  ctx.save();
  ctx.globalAlpha = a;
  ctx.drawImage(s, (W - 420) / 2, 1772);
  ctx.restore();
}

function drawFootnote(ctx: SKRSContext2D, t: number): void {
  const s = sprite('footnote', W, 40, (c) => {
    c.fillStyle = C.white;
    c.font = `400 22px ${FONT}`;
    c.textAlign = 'center';
    c.fillText('※サンプル映像です。社名・商品・料金は架空のものです。', W / 2, 28);
  });
  ctx.save();
  ctx.globalAlpha = 0.5 * smooth(t / 0.5);
  ctx.drawImage(s, 0, 1852);
  ctx.restore();
}

// ---------------------------------------------------------------- scene 1: hero phone

const PHONE = { cx: 540, top: 640, w: 430, h: 860 };

function phoneScreenSprite(): Canvas {
  const sw = PHONE.w - 28;
  const sh = PHONE.h - 28;
  return sprite('phone-screen', sw, sh, (c) => {
    const g = c.createLinearGradient(0, 0, sw * 0.6, sh);
    g.addColorStop(0, '#8c7bff');
    g.addColorStop(0.55, '#b48cf0');
    g.addColorStop(1, '#ff8fa6');
    c.fillStyle = g;
    c.beginPath();
    c.roundRect(0, 0, sw, sh, 50);
    c.fill();
    // status bar
    c.fillStyle = C.white;
    c.font = `700 22px ${FONT}`;
    c.textAlign = 'left';
    c.fillText('10:00', 34, 48);
    for (let i = 0; i < 4; i++) c.fillRect(sw - 118 + i * 11, 44 - 6 - i * 5, 7, 6 + i * 5);
    c.font = `700 18px ${FONT}`;
    c.fillText('5G', sw - 70, 44);
    c.beginPath();
    c.roundRect(sw - 40, 28, 24, 15, 4);
    c.fill();
    // camera dot
    c.fillStyle = 'rgba(20,14,48,0.85)';
    c.beginPath();
    c.arc(sw / 2, 36, 11, 0, TAU);
    c.fill();
    // brand
    drawLogo(c, sw / 2, 200, 62);
    c.fillStyle = C.white;
    c.textAlign = 'center';
    c.font = `700 46px ${FONT}`;
    c.fillText('かさねモバイル', sw / 2, 340);
    c.font = `700 17px ${FONT}`;
    c.fillStyle = 'rgba(255,255,255,0.85)';
    spacedText(c, 'KASANE MOBILE', sw / 2, 376, 6);
    // data card (the bar fill is animated separately)
    c.fillStyle = 'rgba(255,255,255,0.2)';
    c.beginPath();
    c.roundRect(28, 430, sw - 56, 170, 28);
    c.fill();
    c.fillStyle = C.white;
    c.textAlign = 'left';
    c.font = `400 22px ${FONT}`;
    c.fillText('今月のデータ残量', 56, 478);
    c.font = `700 54px ${FONT}`;
    c.fillText('18.6', 56, 544);
    const nw = c.measureText('18.6').width;
    c.font = `700 26px ${FONT}`;
    c.fillText('GB', 56 + nw + 8, 544);
    c.fillStyle = 'rgba(255,255,255,0.3)';
    c.beginPath();
    c.roundRect(56, 566, sw - 112, 12, 6);
    c.fill();
    // two app tiles
    const tw = (sw - 56 - 20) / 2;
    const tiles: [string, string][] = [
      ['料金プラン', C.mint],
      ['ショップ', C.gold],
    ];
    tiles.forEach(([label, color], i) => {
      const x = 28 + i * (tw + 20);
      c.fillStyle = 'rgba(255,255,255,0.2)';
      c.beginPath();
      c.roundRect(x, 598, tw, 92, 24);
      c.fill();
      c.fillStyle = color;
      c.beginPath();
      c.font = `700 21px ${FONT}`;
      const lw = c.measureText(label).width;
      const x0 = x + (tw - (26 + 10 + lw)) / 2;
      c.arc(x0 + 13, 644, 13, 0, TAU);
      c.fill();
      c.fillStyle = C.white;
      c.fillText(label, x0 + 36, 651);
    });
  });
}

function drawHeroPhone(ctx: SKRSContext2D, t: number): void {
  const [s0, s1] = SCENES.hero;
  const a = Math.min(smooth(t / 0.6), smooth((s1 - t) / 0.6));
  if (a <= 0) return;
  const enter = 1 - easeOut(t / 1.2);
  const exit = easeInOut((t - (s1 - 0.8)) / 0.8);
  const float = 8 * Math.sin((TAU * (t - s0)) / 4.2);
  const dy = enter * 140 + exit * 120 + float;
  const { cx, top, w, h } = PHONE;
  const x = cx - w / 2;
  const y = top + dy;

  ctx.save();
  ctx.globalAlpha = a;
  // glow + signal rings behind the phone, kept below the greeting band (y < 460)
  const gy = y + h * 0.45;
  const glow = ctx.createRadialGradient(cx, gy, 0, cx, gy, 520);
  glow.addColorStop(0, rgba(C.coral, 0.3));
  glow.addColorStop(0.5, rgba(C.lilac, 0.12));
  glow.addColorStop(1, rgba(C.lilac, 0));
  ctx.fillStyle = glow;
  ctx.fillRect(cx - 520, gy - 520, 1040, 1040);
  for (let k = 0; k < 3; k++) {
    const p = ((t + k * 1.2) % 3.6) / 3.6;
    const r = 250 + p * 230;
    ctx.strokeStyle = rgba(C.lilacLight, 0.26 * Math.sin(Math.PI * p) * smooth((t - 0.6) / 0.6));
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(cx, y + h * 0.42, r, 0, TAU);
    ctx.stroke();
  }

  // body
  ctx.save();
  ctx.translate(cx, y + h / 2);
  ctx.rotate(0.02 * Math.sin((TAU * t) / 6.5));
  ctx.translate(-cx, -(y + h / 2));
  ctx.shadowColor = 'rgba(8,2,30,0.55)';
  ctx.shadowBlur = 60;
  ctx.shadowOffsetY = 24;
  ctx.fillStyle = '#161033';
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, 64);
  ctx.fill();
  ctx.shadowColor = 'transparent';
  ctx.shadowBlur = 0;
  ctx.shadowOffsetY = 0;
  const edge = ctx.createLinearGradient(x, y, x + w, y + h);
  edge.addColorStop(0, rgba(C.lilacLight, 0.8));
  edge.addColorStop(1, rgba(C.coral, 0.7));
  ctx.strokeStyle = edge;
  ctx.lineWidth = 3;
  ctx.stroke();
  ctx.drawImage(phoneScreenSprite(), x + 14, y + 14);
  // animated data bar + screen sheen
  const bar = 0.72 * easeOut((t - 0.9) / 1.4);
  if (bar > 0) {
    ctx.fillStyle = C.white;
    ctx.beginPath();
    ctx.roundRect(x + 14 + 56, y + 14 + 566, (w - 28 - 112) * bar, 12, 6);
    ctx.fill();
  }
  // notification sliding onto the screen
  const n = easeOutBack((t - 2.2) / 0.7) * smooth((t - 2.2) / 0.3);
  if (n > 0) {
    const nx = x + 30;
    const ny = y + 14 + 808 - (1 - n) * 40;
    ctx.globalAlpha = a * Math.min(1, n);
    ctx.fillStyle = 'rgba(255,255,255,0.95)';
    ctx.beginPath();
    ctx.roundRect(nx, ny - 96, w - 60, 0.001 + 84, 22);
    ctx.fill();
    ctx.fillStyle = C.coral;
    ctx.beginPath();
    ctx.arc(nx + 40, ny - 54, 18, 0, TAU);
    ctx.fill();
    ctx.fillStyle = C.white;
    ctx.font = `700 20px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.fillText('!', nx + 40, ny - 47);
    ctx.fillStyle = C.ink;
    ctx.textAlign = 'left';
    ctx.font = `700 22px ${FONT}`;
    ctx.fillText('あなたへのおトク情報', nx + 72, ny - 62);
    ctx.font = `400 18px ${FONT}`;
    ctx.fillStyle = 'rgba(27,21,56,0.7)';
    ctx.fillText('おすすめが3件届いています', nx + 72, ny - 34);
  }
  ctx.restore();

  // floating chips left/right of the phone
  const chips: { x: number; y: number; label: string; color: string; ph: number }[] = [
    { x: 168, y: 820, label: '5G', color: C.mint, ph: 0 },
    { x: 912, y: 930, label: '¥', color: C.gold, ph: 2.1 },
    { x: 190, y: 1290, label: 'GB', color: C.coral, ph: 4.2 },
  ];
  chips.forEach((c, i) => {
    const k = easeOutBack((t - 0.7 - i * 0.25) / 0.7);
    if (k <= 0) return;
    const bob = 10 * Math.sin((TAU * t) / 3.8 + c.ph);
    const cyy = c.y + bob + exit * 80;
    ctx.save();
    ctx.globalAlpha = a * smooth((t - 0.7 - i * 0.25) / 0.4);
    ctx.translate(c.x, cyy);
    ctx.scale(k, k);
    ctx.fillStyle = 'rgba(255,255,255,0.14)';
    ctx.strokeStyle = rgba(c.color, 0.85);
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(0, 0, 58, 0, TAU);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = c.color;
    ctx.font = `700 40px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.fillText(c.label, 0, 14);
    ctx.restore();
  });
  ctx.restore();
}

// ---------------------------------------------------------------- scene 2 / 3 accents

/** A soft light "stage" behind an overlay region (no edges, nothing to read). */
function drawStage(ctx: SKRSContext2D, t: number, t0: number, t1: number, cy: number, ry: number, color: string): void {
  const a = win(t, t0 - 0.2, t1, 0.6);
  if (a <= 0) return;
  ctx.save();
  ctx.globalAlpha = a;
  ctx.translate(W / 2, cy);
  ctx.scale(1, ry / 560);
  const g = ctx.createRadialGradient(0, 0, 0, 0, 0, 560);
  g.addColorStop(0, rgba(color, 0.13));
  g.addColorStop(0.6, rgba(color, 0.05));
  g.addColorStop(1, rgba(color, 0));
  ctx.fillStyle = g;
  ctx.fillRect(-560, -560, 1120, 1120);
  ctx.restore();
}

/** Twinkling four-point sparkles in the gaps around the items region. */
const SPARKLES = [
  { x: 118, y: 500, s: 20, ph: 0 },
  { x: 968, y: 470, s: 26, ph: 1.3 },
  { x: 930, y: 1440, s: 18, ph: 2.2 },
  { x: 150, y: 1420, s: 24, ph: 3.4 },
  { x: 540, y: 400, s: 14, ph: 4.4 },
];
function drawSparkles(ctx: SKRSContext2D, t: number): void {
  const a = win(t, 6.4, 14.6, 0.5);
  if (a <= 0) return;
  ctx.save();
  for (const sp of SPARKLES) {
    const tw = 0.5 + 0.5 * Math.sin(t * 2.1 + sp.ph);
    const s = sp.s * (0.7 + 0.3 * tw);
    ctx.globalAlpha = a * (0.35 + 0.5 * tw);
    ctx.fillStyle = C.gold;
    ctx.beginPath();
    ctx.moveTo(sp.x, sp.y - s);
    ctx.quadraticCurveTo(sp.x, sp.y, sp.x + s, sp.y);
    ctx.quadraticCurveTo(sp.x, sp.y, sp.x, sp.y + s);
    ctx.quadraticCurveTo(sp.x, sp.y, sp.x - s, sp.y);
    ctx.quadraticCurveTo(sp.x, sp.y, sp.x, sp.y - s);
    ctx.fill();
  }
  ctx.restore();
}

/** Gold coins drifting in the gap between the caption and the chart (scene 3). */
function drawCoins(ctx: SKRSContext2D, t: number): void {
  const a = win(t, 15.2, 23.6, 0.5);
  if (a <= 0) return;
  const lt = t - 15.2;
  const coins = [
    { x: 150, y: 430, r: 40, ph: 0 },
    { x: 930, y: 400, r: 50, ph: 1.4 },
    { x: 860, y: 520, r: 30, ph: 2.8 },
  ];
  ctx.save();
  coins.forEach((c, i) => {
    const k = easeOutBack((lt - 0.3 - i * 0.2) / 0.8);
    if (k <= 0) return;
    const y = c.y + 10 * Math.sin((TAU * t) / 4 + c.ph) + (1 - k) * 40;
    const squash = Math.abs(Math.cos((TAU * t) / 5 + c.ph)) * 0.25 + 0.75; // slow spin
    ctx.save();
    ctx.globalAlpha = a * smooth((lt - 0.3 - i * 0.2) / 0.4);
    ctx.translate(c.x, y);
    ctx.scale(squash, 1);
    const g = ctx.createLinearGradient(-c.r, -c.r, c.r, c.r);
    g.addColorStop(0, '#ffe7a6');
    g.addColorStop(1, '#f2b84b');
    ctx.fillStyle = g;
    ctx.beginPath();
    ctx.arc(0, 0, c.r, 0, TAU);
    ctx.fill();
    ctx.strokeStyle = 'rgba(255,255,255,0.6)';
    ctx.lineWidth = c.r * 0.08;
    ctx.beginPath();
    ctx.arc(0, 0, c.r * 0.78, 0, TAU);
    ctx.stroke();
    ctx.fillStyle = '#b97a14';
    ctx.font = `700 ${Math.round(c.r * 1.05)}px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.fillText('¥', 0, c.r * 0.37);
    ctx.restore();
  });
  ctx.restore();
}

// ---------------------------------------------------------------- scene 4: end card

function drawEndCard(ctx: SKRSContext2D, t: number): void {
  const [e0] = SCENES.end;
  const a = smooth((t - e0) / 0.6);
  if (a <= 0) return;
  const lt = t - e0;
  ctx.save();
  ctx.globalAlpha = a;

  const halo = ctx.createRadialGradient(W / 2, 860, 0, W / 2, 860, 620);
  halo.addColorStop(0, rgba(C.lilacLight, 0.2));
  halo.addColorStop(1, rgba(C.lilacLight, 0));
  ctx.fillStyle = halo;
  ctx.fillRect(W / 2 - 620, 240, 1240, 1240);

  const pop = easeOutBack(lt / 0.8);
  ctx.save();
  ctx.translate(W / 2, 700);
  ctx.scale(pop, pop);
  ctx.rotate(0.04 * Math.sin(lt * 1.3));
  drawLogo(ctx, 0, 0, 96);
  ctx.restore();

  const brand = sprite('end-brand', W, 330, (c) => {
    c.fillStyle = C.white;
    c.textAlign = 'center';
    c.shadowColor = 'rgba(10,4,40,0.4)';
    c.shadowBlur = 20;
    c.font = `700 104px ${FONT}`;
    c.fillText('かさねモバイル', W / 2, 110);
    c.shadowBlur = 0;
    c.font = `700 26px ${FONT}`;
    c.fillStyle = C.mintLight;
    spacedText(c, 'KASANE MOBILE', W / 2, 166, 12);
    c.fillStyle = C.white;
    c.font = `400 44px ${FONT}`;
    c.fillText('つながる毎日を、もっと軽やかに。', W / 2, 268);
  });
  const rise = (1 - easeOut((lt - 0.25) / 0.8)) * 26;
  ctx.globalAlpha = a * smooth((lt - 0.25) / 0.5);
  ctx.drawImage(brand, 0, 820 + rise);

  // CTA button with a soft pulse and a shine
  const k = smooth((lt - 0.8) / 0.5);
  if (k > 0) {
    const bw = 700;
    const bh = 128;
    const bx = (W - bw) / 2;
    const by = 1210 + (1 - easeOut((lt - 0.8) / 0.7)) * 24;
    ctx.globalAlpha = a * k;
    const pulse = 0.5 + 0.5 * Math.sin((TAU * (lt - 0.8)) / 1.8);
    ctx.shadowColor = rgba(C.coral, 0.35 + 0.25 * pulse);
    ctx.shadowBlur = 30 + 24 * pulse;
    const g = ctx.createLinearGradient(bx, 0, bx + bw, 0);
    g.addColorStop(0, C.coral);
    g.addColorStop(1, '#ff9a7a');
    ctx.fillStyle = g;
    ctx.beginPath();
    ctx.roundRect(bx, by, bw, bh, bh / 2);
    ctx.fill();
    ctx.shadowColor = 'transparent';
    ctx.shadowBlur = 0;
    const sweep = ((lt - 1.6) % 2.6) / 1;
    if (lt > 1.6 && sweep < 1) {
      ctx.save();
      ctx.beginPath();
      ctx.roundRect(bx, by, bw, bh, bh / 2);
      ctx.clip();
      const sx = bx - 160 + (bw + 320) * easeInOut(sweep);
      const sg = ctx.createLinearGradient(sx - 90, 0, sx + 90, 0);
      sg.addColorStop(0, 'rgba(255,255,255,0)');
      sg.addColorStop(0.5, 'rgba(255,255,255,0.35)');
      sg.addColorStop(1, 'rgba(255,255,255,0)');
      ctx.fillStyle = sg;
      ctx.fillRect(sx - 90, by, 180, bh);
      ctx.restore();
    }
    const label = sprite('cta-label', bw, bh, (c) => {
      c.fillStyle = C.white;
      c.font = `700 46px ${FONT}`;
      c.textAlign = 'center';
      c.fillText('アプリでかんたん手続き', bw / 2 - 18, 80);
      c.strokeStyle = C.white;
      c.lineWidth = 6;
      c.lineCap = 'round';
      c.lineJoin = 'round';
      const ax = bw / 2 + c.measureText('アプリでかんたん手続き').width / 2 + 10;
      c.beginPath();
      c.moveTo(ax, 48);
      c.lineTo(ax + 14, 64);
      c.lineTo(ax, 80);
      c.stroke();
    });
    ctx.drawImage(label, bx, by);
    ctx.globalAlpha = a * smooth((lt - 1.2) / 0.5);
    const url = sprite('end-url', W, 60, (c) => {
      c.fillStyle = C.lilacLight;
      c.font = `400 34px ${FONT}`;
      c.textAlign = 'center';
      c.fillText('kasane-mobile.example.jp', W / 2, 40);
    });
    ctx.drawImage(url, 0, 1378);
  }

  // three small service promises, popping in one after another
  BENEFITS.forEach((b, i) => {
    const k = easeOutBack((lt - 1.5 - i * 0.18) / 0.6);
    if (k <= 0) return;
    const bx = W / 2 + (i - 1) * 300;
    const by = 1640 + 5 * Math.sin((TAU * t) / 3.6 + i * 1.7);
    ctx.save();
    ctx.globalAlpha = a * smooth((lt - 1.5 - i * 0.18) / 0.4);
    ctx.translate(bx, by);
    ctx.scale(k, k);
    ctx.drawImage(benefitSprite(b), -150, -70);
    ctx.restore();
  });
  ctx.restore();
}

interface Benefit {
  label: string;
  color: string;
  icon: 'bolt' | 'chat' | 'truck';
}
const BENEFITS: Benefit[] = [
  { label: '最短即日開通', color: C.mint, icon: 'bolt' },
  { label: '24時間チャット', color: C.lilac, icon: 'chat' },
  { label: '全国送料無料', color: C.peach, icon: 'truck' },
];

/** Icon circle + label, 300×190, icon centre at (150, 70). */
function benefitSprite(b: Benefit): Canvas {
  return sprite(`benefit:${b.icon}`, 300, 190, (c) => {
    c.fillStyle = 'rgba(255,255,255,0.12)';
    c.strokeStyle = rgba(b.color, 0.9);
    c.lineWidth = 3;
    c.beginPath();
    c.arc(150, 70, 54, 0, TAU);
    c.fill();
    c.stroke();
    c.fillStyle = b.color;
    c.strokeStyle = b.color;
    c.lineJoin = 'round';
    c.lineCap = 'round';
    c.beginPath();
    if (b.icon === 'bolt') {
      c.moveTo(158, 38);
      c.lineTo(132, 76);
      c.lineTo(150, 76);
      c.lineTo(142, 104);
      c.lineTo(170, 62);
      c.lineTo(152, 62);
      c.closePath();
      c.fill();
    } else if (b.icon === 'chat') {
      c.roundRect(118, 44, 64, 44, 14);
      c.moveTo(134, 86);
      c.lineTo(128, 102);
      c.lineTo(150, 86);
      c.fill();
      c.fillStyle = C.ink;
      for (let k = -1; k <= 1; k++) {
        c.beginPath();
        c.arc(150 + k * 16, 66, 4.5, 0, TAU);
        c.fill();
      }
    } else {
      c.roundRect(112, 50, 46, 36, 5);
      c.moveTo(160, 60);
      c.lineTo(176, 60);
      c.lineTo(188, 74);
      c.lineTo(188, 86);
      c.lineTo(160, 86);
      c.closePath();
      c.fill();
      for (const wx of [126, 174]) {
        c.beginPath();
        c.arc(wx, 90, 9, 0, TAU);
        c.fillStyle = C.ink;
        c.fill();
        c.lineWidth = 4;
        c.stroke();
      }
    }
    c.fillStyle = C.white;
    c.font = `700 28px ${FONT}`;
    c.textAlign = 'center';
    c.fillText(b.label, 150, 166);
  });
}

// ---------------------------------------------------------------- frame

let vignette: Canvas | undefined;
function drawVignette(ctx: SKRSContext2D): void {
  if (!vignette) {
    vignette = createCanvas(W, H);
    const v = vignette.getContext('2d');
    const rg = v.createRadialGradient(W / 2, H * 0.48, H * 0.3, W / 2, H * 0.48, H * 0.72);
    rg.addColorStop(0, 'rgba(0,0,0,0)');
    rg.addColorStop(1, 'rgba(8,2,28,0.45)');
    v.fillStyle = rg;
    v.fillRect(0, 0, W, H);
  }
  ctx.drawImage(vignette, 0, 0);
}

function drawFrame(ctx: SKRSContext2D, t: number): void {
  drawBackground(ctx, t);
  drawStage(ctx, t, 6, 14.6, 960, 520, C.white);
  drawStage(ctx, t, 15, 23.6, 1020, 560, C.mintLight);
  drawParticles(ctx, t);
  drawWaves(ctx, t);
  drawVignette(ctx);
  drawHeroPhone(ctx, t);
  drawSparkles(ctx, t);
  drawCoins(ctx, t);
  drawEndCard(ctx, t);
  for (const c of TOP_CAPTIONS) drawTopCaption(ctx, t, c);
  drawHeroTagline(ctx, t);
  drawCampaignPill(ctx, t);
  drawFeatureChips(ctx, t);
  drawBrandBug(ctx, t);
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

/** Soft pad, quarter-note arpeggio from 1 s to 27 s, bells on scene changes (scripts/lib/synth.ts). */
function synthesizeAudio(): Buffer {
  return synthesize({
    sr: SR,
    duration: DURATION,
    chords: CHORDS,
    padAttack: 1.3,
    padRelease: 1.8,
    arpeggio: { start: 1, step: 0.5, count: 52, pattern: [0, 2, 1, 3, 2, 4, 3, 1], fadeIn: 2, end: 27, fadeOut: 2 },
    bells: { times: BELL_TIMES, notes: [81, 77, 79, 84], echoes: 4, echoDelay: 0.375, feedback: 0.38 },
    master: { fadeIn: 0.4, fadeOutStart: 27.5, fadeOutLength: 2.5, peakDb: -12 },
  });
}

// ---------------------------------------------------------------- item fallback image

/** A neat 400×400 generic product placeholder (a parcel on a soft lilac card). */
function drawItemFallback(): Buffer {
  const S = 400;
  const cv = createCanvas(S, S);
  const c = cv.getContext('2d');
  const g = c.createLinearGradient(0, 0, S, S);
  g.addColorStop(0, '#f6f3fd');
  g.addColorStop(1, '#e9e4f7');
  c.fillStyle = g;
  c.fillRect(0, 0, S, S);
  const halo = c.createRadialGradient(S / 2, S * 0.46, 0, S / 2, S * 0.46, S * 0.42);
  halo.addColorStop(0, 'rgba(255,255,255,0.9)');
  halo.addColorStop(1, 'rgba(255,255,255,0)');
  c.fillStyle = halo;
  c.fillRect(0, 0, S, S);
  // shadow
  c.fillStyle = 'rgba(90,70,160,0.12)';
  c.beginPath();
  c.ellipse(S / 2, 292, 112, 18, 0, 0, TAU);
  c.fill();
  // isometric parcel
  const cx = S / 2;
  const top = 100;
  const hw = 100; // half width
  const hh = 52; // half height of the top rhombus
  const depth = 120;
  const stroke = '#8e84bf';
  c.lineJoin = 'round';
  c.lineWidth = 6;
  c.strokeStyle = stroke;
  const face = (pts: [number, number][], fill: string) => {
    c.beginPath();
    pts.forEach(([x, y], i) => (i === 0 ? c.moveTo(x, y) : c.lineTo(x, y)));
    c.closePath();
    c.fillStyle = fill;
    c.fill();
    c.stroke();
  };
  face([[cx - hw, top + hh], [cx, top + 2 * hh], [cx, top + 2 * hh + depth], [cx - hw, top + hh + depth]], '#d9d3f0');
  face([[cx, top + 2 * hh], [cx + hw, top + hh], [cx + hw, top + hh + depth], [cx, top + 2 * hh + depth]], '#cbc3ea');
  face([[cx - hw, top + hh], [cx, top], [cx + hw, top + hh], [cx, top + 2 * hh]], '#ece8f9');
  // tape across the lid and down the front
  c.strokeStyle = '#b3a9dc';
  c.lineWidth = 14;
  c.lineCap = 'butt';
  c.beginPath();
  c.moveTo(cx - hw / 2, top + hh / 2);
  c.lineTo(cx + hw / 2, top + hh * 1.5);
  c.lineTo(cx + hw / 2, top + hh * 1.5 + depth);
  c.stroke();
  // small sparkle
  c.fillStyle = '#ff9bb0';
  const sx = 300;
  const sy = 96;
  const s = 18;
  c.beginPath();
  c.moveTo(sx, sy - s);
  c.quadraticCurveTo(sx, sy, sx + s, sy);
  c.quadraticCurveTo(sx, sy, sx, sy + s);
  c.quadraticCurveTo(sx, sy, sx - s, sy);
  c.quadraticCurveTo(sx, sy, sx, sy - s);
  c.fill();
  return cv.toBuffer('image/png');
}

// ---------------------------------------------------------------- preview with mock overlays

interface ManifestLike {
  fields: Record<string, { example?: unknown; worst?: unknown }>;
  layers: Array<Record<string, unknown> & { id: string; type: string; start: number; end: number; box: { x: number; y: number; width: number; height: number } }>;
}

/**
 * Stills with the overlays drawn on top: text layers by the service's own
 * drawing code (src/overlays), items and chart layers by simple mock-ups of
 * what they will roughly look like. For checking the free regions by eye.
 */
async function preview(dir: string): Promise<void> {
  const overlays = await import('../src/overlays/index.ts');
  overlays.ensureFonts();
  const manifest = JSON.parse(readFileSync(path.join(SAMPLE_DIR, 'template.json'), 'utf8')) as ManifestLike;
  const data = (which: 'example' | 'worst') => Object.fromEntries(Object.entries(manifest.fields).map(([k, f]) => [k, f[which] ?? f.example]));
  const fallback = await loadImage(drawItemFallback());
  mkdirSync(dir, { recursive: true });
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  const shots: [number, 'example' | 'worst' | 'none'][] = [
    [0.5, 'none'], [3, 'example'], [3, 'worst'], [10, 'none'], [10, 'example'], [10, 'worst'],
    [19, 'none'], [19, 'example'], [19, 'worst'], [24.5, 'none'], [28, 'none'],
  ];
  for (const [t, which] of shots) {
    drawFrame(ctx, t);
    if (which !== 'none') {
      const d = data(which);
      for (const layer of manifest.layers) {
        if (t < layer.start || t >= layer.end) continue;
        if (layer.type === 'text') {
          const tl = layer as unknown as Parameters<typeof overlays.drawTextLayer>[0];
          const o = overlays.drawTextLayer(tl, overlays.resolveLayerText(tl, d));
          ctx.drawImage(await loadImage(o.png), o.x, o.y);
        } else if (layer.type === 'items') mockItems(ctx, layer, d, fallback);
        else if (layer.type === 'chart') mockChart(ctx, layer, d);
        // box outline, to see the declared region
        ctx.save();
        ctx.setLineDash([10, 8]);
        ctx.strokeStyle = 'rgba(0,255,180,0.7)';
        ctx.lineWidth = 2;
        ctx.strokeRect(layer.box.x + 0.5, layer.box.y + 0.5, layer.box.width - 1, layer.box.height - 1);
        ctx.restore();
      }
    }
    const file = path.join(dir, `phone-plan-${String(t).replace('.', '_')}s-${which}.png`);
    writeFileSync(file, canvas.toBuffer('image/png'));
    console.log(`preview: ${file}`);
  }
}

const yen = (n: unknown): string => `¥${Math.round(Number(n) || 0).toLocaleString('en-US')}`;

function fitFont(ctx: SKRSContext2D, text: string, weight: number, size: number, min: number, maxW: number): number {
  let s = size;
  for (; s > min; s--) {
    ctx.font = `${weight} ${s}px ${FONT}`;
    if (ctx.measureText(text).width <= maxW) return s;
  }
  ctx.font = `${weight} ${min}px ${FONT}`;
  return min;
}

function ellipsize(ctx: SKRSContext2D, text: string, maxW: number): string {
  if (ctx.measureText(text).width <= maxW) return text;
  const gs = [...text];
  while (gs.length > 0 && ctx.measureText(gs.join('') + '…').width > maxW) gs.pop();
  return gs.join('') + '…';
}

function mockItems(ctx: SKRSContext2D, layer: ManifestLike['layers'][number], d: Record<string, unknown>, fallback: Image): void {
  const items = (Array.isArray(d[layer.field as string]) ? (d[layer.field as string] as Record<string, unknown>[]) : []).slice(0, Number(layer.maxItems ?? 3));
  const card = (layer.card ?? {}) as { background?: string; radius?: number; padding?: number; nameStyle?: { fontSize?: number; color?: string }; priceStyle?: { fontSize?: number; color?: string }; badgeStyle?: { color?: string; background?: string; fontSize?: number } };
  const gap = Number(layer.gap ?? 24);
  const cols = Number(layer.columns ?? Math.min(3, items.length));
  const rows = Math.ceil(items.length / cols);
  const { x: bx, y: by, width: bw, height: bh } = layer.box;
  const cw = (bw - gap * (cols - 1)) / cols;
  const ch = Math.min((bh - gap * (rows - 1)) / rows, 320);
  const pad = card.padding ?? 16;
  const top = by + (bh - (rows * ch + (rows - 1) * gap)) / 2;
  items.forEach((it, i) => {
    const x = bx + (i % cols) * (cw + gap);
    const y = top + Math.floor(i / cols) * (ch + gap);
    ctx.save();
    ctx.shadowColor = 'rgba(10,4,40,0.3)';
    ctx.shadowBlur = 24;
    ctx.shadowOffsetY = 8;
    ctx.fillStyle = card.background ?? 'rgba(255,255,255,0.92)';
    ctx.beginPath();
    ctx.roundRect(x, y, cw, ch, card.radius ?? 20);
    ctx.fill();
    ctx.restore();
    const im = ch - 2 * pad;
    ctx.save();
    ctx.beginPath();
    ctx.roundRect(x + pad, y + pad, im, im, 16);
    ctx.clip();
    ctx.drawImage(fallback, x + pad, y + pad, im, im);
    ctx.restore();
    const tx = x + pad + im + 28;
    const tw = cw - (tx - x) - pad - 8;
    let ty = y + pad + 6;
    ctx.textAlign = 'left';
    if (it.badge) {
      const bs = card.badgeStyle ?? {};
      const fs = bs.fontSize ?? 22;
      ctx.font = `700 ${fs}px ${FONT}`;
      const w = ctx.measureText(String(it.badge)).width + 28;
      ctx.fillStyle = bs.background ?? C.coral;
      ctx.beginPath();
      ctx.roundRect(tx, ty, w, fs + 18, (fs + 18) / 2);
      ctx.fill();
      ctx.fillStyle = bs.color ?? C.white;
      ctx.fillText(String(it.badge), tx + 14, ty + fs + 4);
      ty += fs + 30;
    }
    const ns = card.nameStyle ?? {};
    const size = fitFont(ctx, String(it.name ?? ''), 700, ns.fontSize ?? 32, 22, tw);
    ctx.fillStyle = ns.color ?? C.ink;
    ctx.fillText(ellipsize(ctx, String(it.name ?? ''), tw), tx, ty + size);
    const ps = card.priceStyle ?? {};
    ctx.font = `700 ${ps.fontSize ?? 40}px ${FONT}`;
    ctx.fillStyle = ps.color ?? C.coralDeep;
    const price = yen(it.price);
    ctx.fillText(price, tx, y + ch - pad - 12);
    const pw = ctx.measureText(price).width;
    ctx.font = `400 22px ${FONT}`;
    ctx.fillStyle = 'rgba(27,21,56,0.6)';
    ctx.fillText('（税込）', tx + pw + 6, y + ch - pad - 12);
  });
}

function mockChart(ctx: SKRSContext2D, layer: ManifestLike['layers'][number], d: Record<string, unknown>): void {
  const series = layer.series as Array<{ field: string; label?: string; color: string }>;
  const labels = (layer.labels as string[] | undefined) ?? [];
  const style = (layer.style ?? {}) as { fontSize?: number; textColor?: string; gridColor?: string; background?: string; radius?: number };
  const fs = style.fontSize ?? 22;
  const { x, y, width: w, height: h } = layer.box;
  ctx.save();
  if (style.background) {
    ctx.fillStyle = style.background;
    ctx.beginPath();
    ctx.roundRect(x, y, w, h, style.radius ?? 0);
    ctx.fill();
  }
  ctx.fillStyle = style.textColor ?? C.white;
  ctx.textAlign = 'left';
  ctx.font = `700 ${fs + 8}px ${FONT}`;
  if (typeof layer.title === 'string') ctx.fillText(layer.title, x + 36, y + 60);
  // legend
  ctx.font = `400 ${fs}px ${FONT}`;
  let lx = x + 36;
  for (const s of series) {
    ctx.fillStyle = s.color;
    ctx.fillRect(lx, y + 92, fs, fs);
    ctx.fillStyle = style.textColor ?? C.white;
    ctx.fillText(s.label ?? s.field, lx + fs + 10, y + 92 + fs - 3);
    lx += fs + 10 + ctx.measureText(s.label ?? s.field).width + 36;
  }
  const values = series.map((s) => (Array.isArray(d[s.field]) ? (d[s.field] as number[]) : []));
  const max = Math.max(1, ...values.flat());
  const px0 = x + 130;
  const px1 = x + w - 36;
  const py0 = y + 160;
  const py1 = y + h - 70;
  ctx.strokeStyle = style.gridColor ?? 'rgba(255,255,255,0.25)';
  ctx.lineWidth = 1.5;
  ctx.textAlign = 'right';
  for (let k = 0; k <= 4; k++) {
    const gy = py1 - ((py1 - py0) * k) / 4;
    ctx.beginPath();
    ctx.moveTo(px0, gy);
    ctx.lineTo(px1, gy);
    ctx.stroke();
    ctx.fillStyle = style.textColor ?? C.white;
    ctx.fillText(yen((max * k) / 4), px0 - 12, gy + fs / 3);
  }
  const n = labels.length;
  const slot = (px1 - px0) / n;
  const bw = (slot * 0.7) / series.length;
  ctx.textAlign = 'center';
  for (let i = 0; i < n; i++) {
    series.forEach((s, k) => {
      const v = values[k]?.[i] ?? 0;
      const bh = ((py1 - py0) * v) / max;
      ctx.fillStyle = s.color;
      ctx.beginPath();
      ctx.roundRect(px0 + i * slot + slot * 0.15 + k * bw, py1 - bh, bw - 4, bh, [8, 8, 0, 0]);
      ctx.fill();
    });
    ctx.fillStyle = style.textColor ?? C.white;
    ctx.fillText(labels[i] ?? '', px0 + i * slot + slot / 2, py1 + fs + 14);
  }
  ctx.restore();
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  const args = process.argv.slice(2);
  if (args[0] === '--preview') {
    await preview(path.resolve(args[1] ?? '/tmp/phone-plan-preview'));
    return;
  }
  const out = path.resolve(args[0] ?? path.join(SAMPLE_DIR, 'base.mp4'));
  registerFonts();
  if (args[0] === undefined) {
    const png = path.join(SAMPLE_DIR, 'images/item-fallback.png');
    mkdirSync(path.dirname(png), { recursive: true });
    writeFileSync(png, drawItemFallback());
    console.log(`wrote ${path.relative(process.cwd(), png)}`);
  }
  await encodeMp4({
    out,
    width: W,
    height: H,
    fps: FPS,
    frames: FRAMES,
    drawFrame,
    synthesizeAudio,
    sampleRate: SR,
    // a keyframe every second: every overlay edge of this template is on a whole second
    x264: { preset: 'medium', crf: 22, gopSeconds: 1, extraArgs: ['-threads', '4'] },
    audioBitrate: '128k',
    tmpPrefix: 'kasane-portrait-',
    started,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
