// Deterministic generator for the bundled sample template's base video:
//   npx tsx scripts/make-sample-video.ts [output.mp4]
// (default output: templates/energy-savings/base.mp4)
//
// A 30 s, 1280x720, 30 fps commercial for the fictional power company
// 「かさねでんき」 (Kasane Denki). Every frame is drawn with @napi-rs/canvas and
// piped into ffmpeg as raw RGBA; the soundtrack (soft pad, arpeggio, bells) is
// synthesized as s16le PCM and handed to ffmpeg through a temp file. Shared
// pieces (easing, fonts, synth, encoder pipe, mp4 fix-up) live in scripts/lib/.
// No network, no external assets, no unseeded randomness.
//
// Bands the service later fills with personalized overlays (kept calm here):
//   2–6 s   name line        y 470..590, x 140..1140
//   10–14 s savings amount   y 470..590
//   20–26 s items row        y 380..620
// Our own captions live in the top third (y < 240).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Canvas, createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { easeOut, easeOutBack, mulberry32, rgba, smooth, TAU, win } from './lib/anim.ts';
import { encodeMp4 } from './lib/encode.ts';
import { registerFonts } from './lib/fonts.ts';
import { type Chord, synthesize } from './lib/synth.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'templates/energy-savings/base.mp4'));

const W = 1280;
const H = 720;
const FPS = 30;
const DURATION = 30;
const FRAMES = FPS * DURATION; // 900
const SR = 48000;

const FONT = '"Noto Sans JP"';
const C = {
  navyTop: '#0d2244',
  navyBottom: '#071427',
  teal: '#22b8aa',
  tealLight: '#8fe6dc',
  yellow: '#f6c453',
  white: '#ffffff',
};

// ---------------------------------------------------------------- timeline

interface Caption {
  t0: number;
  t1: number;
  label: string; // small English kicker above the caption
  text: string;
}
// 0–2 s is the centred brand title card (drawn separately).
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
const OVERLAY_BANDS = [
  { t0: 2, t1: 6, y0: 470, y1: 590 },
  { t0: 10, t1: 14, y0: 470, y1: 590 },
  { t0: 20, t1: 26, y0: 380, y1: 620 },
];
function calm(t: number, y: number): number {
  let k = 1;
  for (const b of OVERLAY_BANDS) {
    const tw = win(t, b.t0 - 0.5, b.t1 + 0.5, 0.5);
    const yw = Math.min(smooth((y - (b.y0 - 60)) / 60), smooth((b.y1 + 60 - y) / 60));
    k = Math.min(k, 1 - 0.85 * tw * yw);
  }
  return k;
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
  depth: number; // parallax factor
}
const BLOBS: Blob[] = [
  { color: '#1d4f8f', alpha: 0.75, r: 620, x: 260, y: 180, ax: 120, ay: 60, px: 37, py: 29, ph: 0.3, depth: 0.2 },
  { color: C.teal, alpha: 0.42, r: 520, x: 1040, y: 560, ax: 140, ay: 70, px: 31, py: 23, ph: 1.7, depth: 0.35 },
  { color: '#ffb84a', alpha: 0.34, r: 380, x: 1010, y: 130, ax: 110, ay: 50, px: 27, py: 33, ph: 4.1, depth: 0.45 },
  { color: '#2a7fb8', alpha: 0.4, r: 480, x: 180, y: 640, ax: 130, ay: 60, px: 41, py: 26, ph: 2.6, depth: 0.3 },
  { color: C.teal, alpha: 0.22, r: 360, x: 620, y: 330, ax: 200, ay: 80, px: 23, py: 19, ph: 5.2, depth: 0.55 },
];

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
  const rnd = mulberry32(0x6b617361); // "kasa"
  const colors = [C.tealLight, C.yellow, C.white, C.white];
  const out: Particle[] = [];
  for (let i = 0; i < 46; i++) {
    const depth = 0.25 + 0.75 * rnd();
    out.push({
      x: rnd() * W,
      y: rnd() * (H + 80),
      r: 2.5 + 10 * depth * depth,
      depth,
      sway: 8 + 22 * rnd(),
      swayPeriod: 6 + 8 * rnd(),
      ph: rnd() * TAU,
      alpha: 0.1 + 0.22 * rnd(),
      color: colors[Math.floor(rnd() * colors.length)] ?? C.white,
    });
  }
  return out;
})();

/** Slow horizontal "camera" drift used for parallax. */
const camX = (t: number): number => 40 * Math.sin((TAU * t) / 30 - Math.PI / 2) + 40;

function drawBackground(ctx: SKRSContext2D, t: number): void {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, C.navyTop);
  g.addColorStop(1, C.navyBottom);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);

  // far layer: soft colour blobs
  ctx.save();
  ctx.globalCompositeOperation = 'screen';
  const cam = camX(t);
  for (const b of BLOBS) {
    const x = b.x + b.ax * Math.sin((TAU * t) / b.px + b.ph) - cam * b.depth;
    const y = b.y + b.ay * Math.sin((TAU * t) / b.py + b.ph * 1.3);
    const r = b.r * (1 + 0.06 * Math.sin((TAU * t) / 17 + b.ph));
    const rg = ctx.createRadialGradient(x, y, 0, x, y, r);
    rg.addColorStop(0, rgba(b.color, b.alpha));
    rg.addColorStop(0.45, rgba(b.color, b.alpha * 0.45));
    rg.addColorStop(1, rgba(b.color, 0));
    ctx.fillStyle = rg;
    ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
  }
  ctx.restore();

  // mid layer: flowing "energy" lines along the bottom edge (below every overlay band)
  ctx.save();
  ctx.lineWidth = 1.6;
  for (let i = 0; i < 4; i++) {
    const base = 652 + i * 16;
    const speed = 0.35 + i * 0.12;
    ctx.strokeStyle = rgba(i % 2 === 0 ? C.tealLight : C.yellow, 0.1 + 0.03 * i);
    ctx.beginPath();
    for (let x = -20; x <= W + 20; x += 20) {
      const xx = x + cam * 0.6;
      const y =
        base +
        9 * Math.sin(xx / 160 + t * speed + i * 1.1) +
        5 * Math.sin(xx / 71 - t * speed * 1.7 + i * 2.3);
      if (x === -20) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  ctx.restore();

  // near layer: drifting bokeh particles (faster when "closer")
  for (const p of PARTICLES) {
    const span = H + 80;
    let y = (p.y - t * (6 + 22 * p.depth)) % span;
    if (y < 0) y += span;
    y -= 40;
    let x = p.x + p.sway * Math.sin((TAU * t) / p.swayPeriod + p.ph) - cam * (0.6 + p.depth);
    x = ((x % (W + 40)) + (W + 40)) % (W + 40) - 20;
    const a = p.alpha * calm(t, y);
    if (a < 0.004) continue;
    const r = p.r * 2.2;
    const rg = ctx.createRadialGradient(x, y, 0, x, y, r);
    rg.addColorStop(0, rgba(p.color, a));
    rg.addColorStop(0.4, rgba(p.color, a * 0.6));
    rg.addColorStop(1, rgba(p.color, 0));
    ctx.fillStyle = rg;
    ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
  }
}

let vignette: Canvas | undefined;
function drawVignette(ctx: SKRSContext2D): void {
  if (!vignette) {
    vignette = createCanvas(W, H);
    const v = vignette.getContext('2d');
    const rg = v.createRadialGradient(W / 2, H / 2, H * 0.35, W / 2, H / 2, W * 0.75);
    rg.addColorStop(0, 'rgba(0,0,0,0)');
    rg.addColorStop(1, 'rgba(0,6,20,0.55)');
    v.fillStyle = rg;
    v.fillRect(0, 0, W, H);
  }
  ctx.drawImage(vignette, 0, 0);
}

// ---------------------------------------------------------------- brand

/** 「重ね」 logo: three stacked rhombus layers. s = half width. */
function drawLogo(ctx: SKRSContext2D, cx: number, cy: number, s: number, alpha: number): void {
  const layers: [string, number][] = [
    ['#3b82c4', 0.55],
    [C.teal, 0],
    [C.yellow, -0.55],
  ];
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.lineJoin = 'round';
  for (const [color, off] of layers) {
    const y = cy + off * s;
    ctx.beginPath();
    ctx.moveTo(cx - s, y);
    ctx.lineTo(cx, y - s * 0.5);
    ctx.lineTo(cx + s, y);
    ctx.lineTo(cx, y + s * 0.5);
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.strokeStyle = color;
    ctx.lineWidth = s * 0.12;
    ctx.globalAlpha = alpha * 0.92;
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}

function spacedText(ctx: SKRSContext2D, text: string, x: number, y: number, spacing: number): void {
  ctx.save();
  ctx.letterSpacing = `${spacing}px`;
  ctx.textAlign = 'center';
  // letter spacing adds trailing space after the last glyph; shift to stay centred
  ctx.fillText(text, x + spacing / 2, y);
  ctx.restore();
}

function drawTitleCard(ctx: SKRSContext2D, t: number): void {
  const a = win(t, 0, 2, 0.3);
  if (a <= 0) return;
  const s = 1.04 - 0.04 * easeOut(t / 2);
  ctx.save();
  ctx.globalAlpha = a;
  ctx.translate(W / 2, 350);
  ctx.scale(s, s);
  ctx.translate(-W / 2, -350);
  const halo = ctx.createRadialGradient(W / 2, 330, 0, W / 2, 330, 360);
  halo.addColorStop(0, 'rgba(120,220,210,0.16)');
  halo.addColorStop(1, 'rgba(120,220,210,0)');
  ctx.fillStyle = halo;
  ctx.fillRect(W / 2 - 360, 0, 720, 700);
  drawLogo(ctx, W / 2, 255, 54, 1);
  ctx.fillStyle = C.white;
  ctx.textAlign = 'center';
  ctx.shadowColor = 'rgba(0,0,0,0.35)';
  ctx.shadowBlur = 18;
  ctx.font = `700 88px ${FONT}`;
  ctx.fillText('かさねでんき', W / 2, 405);
  ctx.shadowBlur = 0;
  ctx.font = `700 18px ${FONT}`;
  ctx.fillStyle = C.tealLight;
  spacedText(ctx, 'KASANE DENKI', W / 2, 448, 9);
  ctx.restore();
}

function drawCornerBug(ctx: SKRSContext2D, t: number): void {
  const a = 0.92 * win(t, 2.1, 26, 0.5);
  if (a <= 0) return;
  ctx.save();
  ctx.globalAlpha = a;
  drawLogo(ctx, 58, 50, 15, 1);
  ctx.fillStyle = C.white;
  ctx.font = `700 21px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.fillText('かさねでんき', 84, 58);
  ctx.restore();
}

function drawFootnote(ctx: SKRSContext2D, t: number): void {
  ctx.save();
  ctx.globalAlpha = 0.5 * smooth(t / 0.5);
  ctx.fillStyle = C.white;
  ctx.font = `400 13px ${FONT}`;
  ctx.textAlign = 'right';
  ctx.fillText('※サンプル映像です。社名・内容は架空のものです。', W - 36, H - 22);
  ctx.restore();
}

function drawCaption(ctx: SKRSContext2D, t: number, c: Caption): void {
  const a = win(t, c.t0, c.t1, 0.3);
  if (a <= 0) return;
  const rise = (1 - easeOut((t - c.t0) / 0.5)) * 14;
  ctx.save();
  ctx.globalAlpha = a;
  ctx.translate(0, rise);
  ctx.textAlign = 'center';
  ctx.fillStyle = C.tealLight;
  ctx.font = `700 15px ${FONT}`;
  spacedText(ctx, c.label, W / 2, 104, 5);
  ctx.fillStyle = C.white;
  ctx.shadowColor = 'rgba(0,10,30,0.45)';
  ctx.shadowBlur = 14;
  ctx.font = `700 50px ${FONT}`;
  ctx.fillText(c.text, W / 2, 168);
  ctx.shadowBlur = 0;
  const lw = 80 * easeOut((t - c.t0 - 0.15) / 0.6);
  ctx.fillStyle = C.yellow;
  ctx.beginPath();
  ctx.roundRect(W / 2 - lw / 2, 192, lw, 4, 2);
  ctx.fill();
  ctx.restore();
}

// ---------------------------------------------------------------- scene graphics

function drawPlanChart(ctx: SKRSContext2D, t: number): void {
  const a = win(t, 6.05, 10, 0.4);
  if (a <= 0) return;
  const lt = t - 6.05;
  const float = 4 * Math.sin(lt * 1.3);
  const x0 = 400;
  const y0 = 252 + (1 - easeOut(lt / 0.6)) * 24 + float;
  const pw = 480;
  const ph = 350;
  ctx.save();
  ctx.globalAlpha = a;
  ctx.fillStyle = 'rgba(255,255,255,0.08)';
  ctx.strokeStyle = 'rgba(255,255,255,0.2)';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.roundRect(x0, y0, pw, ph, 22);
  ctx.fill();
  ctx.stroke();

  ctx.fillStyle = C.white;
  ctx.font = `700 20px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.fillText('月々の電気代（イメージ）', x0 + 32, y0 + 48);
  ctx.fillStyle = C.tealLight;
  ctx.font = `400 15px ${FONT}`;
  ctx.fillText('新プランで、ムリなく節約', x0 + 32, y0 + 74);

  const heights = [1.0, 0.93, 0.85, 0.77, 0.69, 0.62];
  const baseY = y0 + ph - 58;
  const maxH = 185;
  const bw = 42;
  const gap = (pw - 64 - heights.length * bw) / (heights.length - 1);
  const tops: [number, number][] = [];
  ctx.strokeStyle = 'rgba(255,255,255,0.25)';
  ctx.beginPath();
  ctx.moveTo(x0 + 28, baseY + 0.5);
  ctx.lineTo(x0 + pw - 28, baseY + 0.5);
  ctx.stroke();
  heights.forEach((hRatio, i) => {
    const grow = easeOutBack((lt - 0.25 - i * 0.12) / 0.7);
    const bh = maxH * hRatio * grow;
    const bx = x0 + 32 + i * (bw + gap);
    const g = ctx.createLinearGradient(0, baseY - maxH, 0, baseY);
    g.addColorStop(0, i === 0 ? '#8aa4c4' : C.yellow);
    g.addColorStop(1, i === 0 ? '#4d6b92' : C.teal);
    ctx.fillStyle = g;
    if (bh > 0.5) {
      ctx.beginPath();
      ctx.roundRect(bx, baseY - bh, bw, bh, [8, 8, 0, 0]);
      ctx.fill();
    }
    tops.push([bx + bw / 2, baseY - bh - 14]);
    ctx.fillStyle = 'rgba(255,255,255,0.75)';
    ctx.font = `400 14px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.fillText(`${i + 1}月`, bx + bw / 2, baseY + 26);
  });
  // trend line drawn progressively once the bars are up
  const prog = easeOut((lt - 1.2) / 1.2);
  if (prog > 0) {
    ctx.strokeStyle = rgba(C.yellow, 0.9);
    ctx.lineWidth = 2.5;
    ctx.setLineDash([7, 6]);
    ctx.beginPath();
    const n = (tops.length - 1) * prog;
    for (let i = 0; i <= Math.ceil(n); i++) {
      const p = tops[Math.min(i, tops.length - 1)];
      const q = tops[Math.max(0, i - 1)];
      if (!p || !q) continue;
      const f = i > n ? n - (i - 1) : 1;
      const x = q[0] + (p[0] - q[0]) * f;
      const y = q[1] + (p[1] - q[1]) * f;
      if (i === 0) ctx.moveTo(p[0], p[1]);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.restore();
}

function drawTurbine(ctx: SKRSContext2D, x: number, baseY: number, h: number, angle: number): void {
  const hubY = baseY - h;
  ctx.beginPath();
  ctx.moveTo(x - h * 0.028, baseY);
  ctx.lineTo(x - h * 0.012, hubY);
  ctx.lineTo(x + h * 0.012, hubY);
  ctx.lineTo(x + h * 0.028, baseY);
  ctx.closePath();
  ctx.fill();
  const L = h * 0.58;
  const w = h * 0.03;
  for (let k = 0; k < 3; k++) {
    ctx.save();
    ctx.translate(x, hubY);
    ctx.rotate(angle + (k * TAU) / 3);
    ctx.beginPath();
    ctx.moveTo(0, -w * 0.6);
    ctx.quadraticCurveTo(L * 0.3, -w * 1.9, L, 0);
    ctx.quadraticCurveTo(L * 0.3, w * 0.9, 0, w * 0.6);
    ctx.closePath();
    ctx.fill();
    ctx.restore();
  }
  ctx.beginPath();
  ctx.arc(x, hubY, w * 1.1, 0, TAU);
  ctx.fill();
}

function hillPath(ctx: SKRSContext2D, base: number, amp: number, freq: number, shift: number): void {
  ctx.beginPath();
  ctx.moveTo(0, H);
  for (let x = 0; x <= W; x += 16) {
    ctx.lineTo(x, base - amp * (0.5 + 0.5 * Math.sin((x + shift) * freq)) - amp * 0.35 * Math.sin((x + shift) * freq * 2.3 + 1));
  }
  ctx.lineTo(W, H);
  ctx.closePath();
}

function drawRenewable(ctx: SKRSContext2D, t: number): void {
  const a = win(t, 14.05, 20, 0.45);
  if (a <= 0) return;
  const lt = t - 14.05;
  const up = (1 - easeOut(lt / 0.9)) * 80;
  const cam = camX(t);
  ctx.save();
  ctx.globalAlpha = a;

  // sun
  const sx = 1030 - cam * 0.15;
  const sy = 318 + up * 0.3;
  const glow = ctx.createRadialGradient(sx, sy, 0, sx, sy, 190);
  glow.addColorStop(0, rgba(C.yellow, 0.45));
  glow.addColorStop(1, rgba(C.yellow, 0));
  ctx.fillStyle = glow;
  ctx.fillRect(sx - 190, sy - 190, 380, 380);
  ctx.strokeStyle = rgba(C.yellow, 0.55);
  ctx.lineWidth = 3;
  ctx.lineCap = 'round';
  for (let k = 0; k < 12; k++) {
    const ang = (k * TAU) / 12 + lt * 0.25;
    ctx.beginPath();
    ctx.moveTo(sx + Math.cos(ang) * 66, sy + Math.sin(ang) * 66);
    ctx.lineTo(sx + Math.cos(ang) * 84, sy + Math.sin(ang) * 84);
    ctx.stroke();
  }
  ctx.fillStyle = C.yellow;
  ctx.beginPath();
  ctx.arc(sx, sy, 48, 0, TAU);
  ctx.fill();

  // far hills + turbines (slow parallax), near hills + turbines (faster)
  ctx.translate(0, up);
  const farShift = cam * 0.4 + lt * 4;
  ctx.fillStyle = 'rgba(22,110,120,0.55)';
  hillPath(ctx, 610, 46, 0.0052, farShift);
  ctx.fill();
  ctx.fillStyle = 'rgba(235,248,250,0.55)';
  drawTurbine(ctx, 820 - farShift * 0.3, 598, 150, lt * 1.5 + 0.7);
  drawTurbine(ctx, 930 - farShift * 0.3, 604, 120, lt * 1.8 + 2.1);

  const nearShift = cam * 0.9 + lt * 9;
  const hg = ctx.createLinearGradient(0, 600, 0, H);
  hg.addColorStop(0, 'rgba(34,184,170,0.85)');
  hg.addColorStop(1, 'rgba(10,70,90,0.95)');
  ctx.fillStyle = hg;
  hillPath(ctx, 672, 40, 0.0038, nearShift + 300);
  ctx.fill();
  ctx.fillStyle = 'rgba(255,255,255,0.92)';
  drawTurbine(ctx, 250 - nearShift * 0.2, 650, 250, lt * 1.2);
  drawTurbine(ctx, 430 - nearShift * 0.2, 660, 190, lt * 1.35 + 1.2);
  ctx.restore();
}

function drawEndCard(ctx: SKRSContext2D, t: number): void {
  const a = win(t, 26.05, Infinity, 0.45);
  if (a <= 0) return;
  const lt = t - 26.05;
  const rise = (1 - easeOut(lt / 0.7)) * 20;
  ctx.save();
  ctx.globalAlpha = a;
  ctx.translate(0, rise);
  drawLogo(ctx, W / 2 - 190, 340, 30, 1);
  ctx.fillStyle = C.white;
  ctx.font = `700 60px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.fillText('かさねでんき', W / 2 - 145, 362);

  // search box with typing animation
  const bx = 390;
  const by = 420;
  const bw = 500;
  const bh = 64;
  ctx.shadowColor = 'rgba(0,0,0,0.3)';
  ctx.shadowBlur = 20;
  ctx.fillStyle = 'rgba(255,255,255,0.96)';
  ctx.beginPath();
  ctx.roundRect(bx, by, bw, bh, 32);
  ctx.fill();
  ctx.shadowBlur = 0;
  ctx.fillStyle = C.teal;
  ctx.beginPath();
  ctx.roundRect(bx + bw - 118, by + 7, 111, bh - 14, 25);
  ctx.fill();
  ctx.fillStyle = C.white;
  ctx.font = `700 22px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText('検索', bx + bw - 62, by + 40);

  const query = 'かさねでんき';
  const shown = Math.max(0, Math.min(query.length, Math.floor((lt - 0.5) / 0.12) + 1));
  const typed = query.slice(0, shown);
  ctx.fillStyle = '#10233f';
  ctx.font = `400 25px ${FONT}`;
  ctx.textAlign = 'left';
  ctx.fillText(typed, bx + 34, by + 41);
  const cursorX = bx + 34 + ctx.measureText(typed).width + 3;
  if (Math.floor(lt / 0.5) % 2 === 0 || shown < query.length) {
    ctx.fillStyle = rgba('#10233f', 0.8);
    ctx.fillRect(cursorX, by + 18, 2, 28);
  }

  ctx.fillStyle = C.tealLight;
  ctx.font = `400 18px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText('kasane-denki.example.jp', W / 2, by + bh + 46);
  ctx.restore();
}

function drawFrame(ctx: SKRSContext2D, t: number): void {
  drawBackground(ctx, t);
  drawRenewable(ctx, t);
  drawVignette(ctx);
  drawPlanChart(ctx, t);
  drawTitleCard(ctx, t);
  drawEndCard(ctx, t);
  for (const c of CAPTIONS) drawCaption(ctx, t, c);
  drawCornerBug(ctx, t);
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

/** Soft pad, quarter-note arpeggio from 2 s to 26 s, bells on scene changes (scripts/lib/synth.ts). */
function synthesizeAudio(): Buffer {
  return synthesize({
    sr: SR,
    duration: DURATION,
    chords: CHORDS,
    padAttack: 1.3,
    padRelease: 1.8,
    arpeggio: { start: 2, step: 0.5, count: 48, pattern: [0, 2, 1, 3, 2, 1, 3, 2], fadeIn: 2, end: 26, fadeOut: 1.5 },
    bells: { times: SCENE_CHANGES, notes: [81, 78, 74, 76, 78, 81], echoes: 4, echoDelay: 0.375, feedback: 0.38 },
    master: { fadeIn: 0.4, fadeOutStart: 27.5, fadeOutLength: 2.5, peakDb: -12 },
  });
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  registerFonts();
  await encodeMp4({
    out: OUT,
    width: W,
    height: H,
    fps: FPS,
    frames: FRAMES,
    drawFrame,
    synthesizeAudio,
    sampleRate: SR,
    x264: { preset: 'medium', crf: 20, gopSeconds: 2 },
    audioBitrate: '128k',
    tmpPrefix: 'kasane-sample-',
    started,
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
