// Every common frame rate, integer or not, prepares, renders and splices, and
// an overlay is on every frame of its window (no frame lost at a segment join)
// and on no frame outside it. Tiny plain-grey videos with solid-colour image
// layers, so presence is a pixel check on each decoded frame. Drives the same
// functions as `kasane render` (prepare, render, splice) without Redis or HTTP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { prepareTemplate } from '../src/templates/prepare.ts';
import { drawContext, renderPersonalSegments, resolveInputs, segmentKeys } from '../src/render/personalize.ts';
import { mediaPlaylist } from '../src/viewer/playlist.ts';
import { loadConfig } from '../src/config/index.ts';
import { solidPng } from './support/pixels.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-rates-'));
after(() => rmSync(root, { recursive: true, force: true }));

const W = 160;
const H = 90;
const SECONDS = 10;
// Two layers in two regions: a long one (longer than a 6 s segment, so it is split and
// a join falls inside it) and a short one that overlaps it; windows end on odd frames.
const LONG = { x: 8, y: 8, width: 48, height: 32 };
const SHORT = { x: 104, y: 50, width: 48, height: 32 };

interface Rate {
  label: string;
  num: number;
  den: number;
  /** Frame count of the short layer's window (the lengths seen dropping frames). */
  short: number;
}

const RATES: Rate[] = [
  { label: '25', num: 25, den: 1, short: 98 },
  { label: '29.97', num: 30000, den: 1001, short: 98 },
  { label: '30', num: 30, den: 1, short: 105 },
  { label: '23.976', num: 24000, den: 1001, short: 105 },
  { label: '59.94', num: 60000, den: 1001, short: 195 },
  { label: '60', num: 60, den: 1, short: 195 },
];

/** Seconds of frame f, exact enough that round(t * fps) gives f back. */
const at = (f: number, r: Rate) => (f * r.den) / r.num;

async function makeTemplate(r: Rate): Promise<{ dir: string; windows: Array<{ box: typeof LONG; from: number; to: number }> }> {
  const id = `rate-${r.label.replace('.', '-')}`;
  const dir = path.join(root, id);
  mkdirSync(dir, { recursive: true });
  const rate = `${r.num}/${r.den}`;
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', `color=c=0x808080:s=${W}x${H}:r=${rate}`, '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', String(SECONDS),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(dir, 'base.mp4')], { timeoutMs: 60_000 });
  writeFileSync(path.join(dir, 'red.png'), solidPng(LONG.width, LONG.height, '#ff0000'));
  writeFileSync(path.join(dir, 'blue.png'), solidPng(SHORT.width, SHORT.height, '#0000ff'));
  const fps = r.num / r.den;
  const longFrom = 13;
  const longTo = longFrom + Math.floor(6 * fps) + 37; // > 6 s: split into two personalized segments
  const shortFrom = 41;
  const shortTo = shortFrom + r.short;
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id,
    name: `${r.label} fps`,
    video: { file: 'base.mp4' },
    encoder: { preset: 'ultrafast' },
    fields: {},
    layers: [
      { id: 'long', type: 'image', file: 'red.png', start: at(longFrom, r), end: at(longTo, r), box: LONG },
      { id: 'short', type: 'image', file: 'blue.png', start: at(shortFrom, r), end: at(shortTo, r), box: SHORT },
    ],
  }));
  return { dir, windows: [{ box: LONG, from: longFrom, to: longTo }, { box: SHORT, from: shortFrom, to: shortTo }] };
}

/** Mean RGB of a box, inset by 4 px so scaling and chroma edges do not matter. */
function meanRgb(frame: Buffer, b: typeof LONG): [number, number, number] {
  let r = 0;
  let g = 0;
  let bl = 0;
  let n = 0;
  for (let y = b.y + 4; y < b.y + b.height - 4; y++) {
    for (let x = b.x + 4; x < b.x + b.width - 4; x++) {
      const o = (y * W + x) * 3;
      r += frame[o]!;
      g += frame[o + 1]!;
      bl += frame[o + 2]!;
      n++;
    }
  }
  return [r / n, g / n, bl / n];
}

for (const r of RATES) {
  test(`${r.label} fps: renders, splices, decodes cleanly, overlay on exactly its frames`, async () => {
    const { dir, windows } = await makeTemplate(r);
    const storage = new LocalStorage(path.join(root, 'storage'));
    const log: string[] = [];
    const plan = await prepareTemplate(dir, storage, { log: (m) => log.push(m) });
    assert.ok(log.some((m) => /splice self-check passed/.test(m)), 'preparation splices one personal segment as a check');
    assert.deepEqual(plan.fps, { num: r.num, den: r.den });
    const keys = segmentKeys(plan, resolveInputs(plan, {}), Buffer.from('test'));
    await renderPersonalSegments(plan, {}, keys, storage, drawContext(plan, storage, loadConfig().imageFetch));
    const out = path.join(root, `out-${r.label}`);
    mkdirSync(out, { recursive: true });
    const playlist = path.join(out, 'index.m3u8');
    const files: string[] = [];
    for (const s of plan.segments) files.push((await storage.cached(s.kind === 'dynamic' ? keys[s.index]! : s.key))!.path);
    writeFileSync(playlist, mediaPlaylist(plan, (i) => files[i]!));
    // A clean decode of the stitched stream: not one warning.
    const check = await runFfmpeg(['-nostats', '-v', 'warning', '-i', playlist, '-map', '0', '-f', 'null', '-'], { timeoutMs: 60_000 });
    assert.equal(check.stderr.trim(), '', `decoder warnings at ${r.label} fps`);
    const { stdout } = await runFfmpeg(['-v', 'error', '-i', playlist, '-map', '0:v', '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { captureStdout: true, timeoutMs: 60_000 });
    const frameBytes = W * H * 3;
    assert.equal(stdout.length / frameBytes, plan.frameCount, 'every frame decodes');
    const wrong: string[] = [];
    for (let f = 0; f < plan.frameCount; f++) {
      const frame = stdout.subarray(f * frameBytes, (f + 1) * frameBytes);
      windows.forEach((w, k) => {
        const [red, green, blue] = meanRgb(frame, w.box);
        const want = f >= w.from && f < w.to;
        const colour = k === 0 ? red : blue;
        const shown = colour > 200 && green < 60;
        const plain = Math.abs(red - 128) < 20 && Math.abs(green - 128) < 20 && Math.abs(blue - 128) < 20;
        if (want ? !shown : !plain) wrong.push(`layer ${k} frame ${f}: ${want ? 'missing' : 'present'} (${red.toFixed(0)},${green.toFixed(0)},${blue.toFixed(0)})`);
      });
    }
    const joins = plan.segments.map((s) => `${s.startFrame}+${s.frames}${s.kind === 'dynamic' ? '*' : ''}`).join(' ');
    assert.deepEqual(wrong, [], `segments ${joins}`);
  });
}
