// Personal segments are encoded with cheaper x264 analysis than the template
// (issue 13 §2), which is only safe while their SPS/PPS stay byte-identical to
// the template's: a decoder takes new headers at a keyframe without a warning,
// so only the bytes tell. Real ffmpeg, real prepare and render, small videos.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { prepareTemplate } from '../src/templates/prepare.ts';
import { drawContext, renderPersonalSegments, resolveInputs, segmentKeys } from '../src/render/personalize.ts';
import { mediaPlaylist } from '../src/viewer/playlist.ts';
import { loadConfig, PROJECT_ROOT } from '../src/config/index.ts';
import { DEFAULT_ENCODER } from '../src/templates/manifest.ts';
import { forceKeyframesExpr, personalVideoEncoderArgs, rawInputArgs, videoEncoderArgs } from '../src/video/encoder.ts';
import { checkSpliceable } from '../src/video/splice-check.ts';
import { SpliceError } from '../src/video/ts/splice.ts';
import { collectPes, findStreams, parsePackets } from '../src/video/ts/packets.ts';
import { analyzeSegment, nalUnits } from './support/hls-checks.ts';
import { solidPng } from './support/pixels.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-personal-enc-'));
after(() => rmSync(root, { recursive: true, force: true }));
const W = 320;
const H = 180;
const fps = { num: 30, den: 1 };

/** x264's own record of its settings (the SEI it writes into the first frame). */
function x264Options(ts: Buffer): string {
  const pk = parsePackets(ts);
  const first = collectPes(pk, findStreams(pk).videoPid)[0]!;
  const sei = nalUnits(first.data).find((n) => n.type === 6 && n.data.includes('x264'));
  return sei ? /options: ([^\0]*)/.exec(sei.data.toString('latin1'))?.[1] ?? '' : '';
}

const headers = (ts: Buffer) => {
  const a = analyzeSegment(ts);
  return { sps: a.sps, pps: a.pps };
};

test('a veryfast template: personal segments use the cheaper analysis, carry its exact SPS/PPS and decode cleanly', async () => {
  const dir = path.join(root, 'veryfast');
  mkdirSync(dir);
  // A moving picture (motion search has work to do), 4 s; the overlay makes segment 1 personal.
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', `testsrc2=s=${W}x${H}:r=30`, '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', '4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(dir, 'base.mp4')], { timeoutMs: 60_000 });
  writeFileSync(path.join(dir, 'red.png'), solidPng(64, 32, '#ff0000'));
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id: 'personal-veryfast', name: 'veryfast', video: { file: 'base.mp4' }, encoder: { preset: 'veryfast' }, fields: {},
    layers: [{ id: 'box', type: 'image', file: 'red.png', start: 1.5, end: 2.5, box: { x: 16, y: 16, width: 64, height: 32 } }],
  }));
  const storage = new LocalStorage(path.join(root, 'storage'));
  const log: string[] = [];
  const plan = await prepareTemplate(dir, storage, { log: (m) => log.push(m) });
  assert.ok(log.some((m) => /splice self-check passed/.test(m)));
  const keys = segmentKeys(plan, resolveInputs(plan, {}), Buffer.from('test'));
  await renderPersonalSegments(plan, {}, keys, storage, drawContext(plan, storage, loadConfig().imageFetch));
  const dynamic = plan.segments.filter((s) => s.kind === 'dynamic');
  assert.ok(dynamic.length >= 1);
  // The cheaper encode is really in effect: x264 records its settings in an SEI at the
  // start of each encode (the template's first segment, the personal pass's first).
  assert.match(x264Options((await storage.get(plan.segments[0]!.key))!), /\bme=hex\b.*\bsubme=2\b/);
  assert.match(x264Options((await storage.get(keys[dynamic[0]!.index]!))!), /\bme=dia\b.*\bsubme=1\b/, 'personal segments use diamond search, subme 1');
  for (const s of dynamic) {
    const template = (await storage.get(s.key))!;
    const personal = (await storage.get(keys[s.index]!))!;
    // …and the headers a player configures its decoder with are the template's, byte for byte.
    assert.deepEqual(headers(personal), headers(template), `segment ${s.index}: SPS/PPS bytes`);
  }
  const files: string[] = [];
  for (const s of plan.segments) files.push((await storage.cached(s.kind === 'dynamic' ? keys[s.index]! : s.key))!.path);
  const playlist = path.join(root, 'veryfast.m3u8');
  writeFileSync(playlist, mediaPlaylist(plan, (i) => files[i]!));
  const check = await runFfmpeg(['-nostats', '-v', 'warning', '-i', playlist, '-map', '0', '-f', 'null', '-'], { timeoutMs: 60_000 });
  assert.equal(check.stderr.trim(), '');
});

test('for every preset a template may choose, the personal encode keeps the template encode\'s SPS/PPS bytes', async () => {
  const schema = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'docs/template.schema.json'), 'utf8')) as { properties: { encoder: { properties: { preset: { enum: string[] } } } } };
  const presets = schema.properties.encoder.properties.preset.enum;
  assert.ok(presets.includes('veryfast') && presets.length >= 5);
  const encode = async (args: string[]) => (await runFfmpeg(['-f', 'lavfi', '-i', `testsrc2=s=${W}x${H}:r=30`, '-frames:v', '10', '-an', ...args,
    '-force_key_frames', forceKeyframesExpr([0]), '-f', 'mpegts', 'pipe:1'], { captureStdout: true })).stdout;
  const differ: string[] = [];
  for (const preset of presets) {
    const enc = { ...DEFAULT_ENCODER, preset };
    const t = headers(await encode(videoEncoderArgs(enc, fps)));
    const p = headers(await encode(personalVideoEncoderArgs(enc, fps)));
    assert.ok(t.sps.length && t.pps.length);
    if (JSON.stringify(t) !== JSON.stringify(p)) differ.push(preset);
  }
  assert.deepEqual(differ, []);
  // The comparison can fail: weighted prediction off is a PPS field.
  const enc = { ...DEFAULT_ENCODER, preset: 'veryfast' };
  assert.notDeepEqual(headers(await encode([...videoEncoderArgs(enc, fps), '-x264-params', 'weightp=0'])), headers(await encode(videoEncoderArgs(enc, fps))));
});

test('the prepare self-check refuses a personal encode whose headers differ from the template segment\'s', async () => {
  // The frames of one segment as raw yuv (the mezzanine), and a "template" segment of them
  // whose PPS says no weighted prediction: it splices and decodes, but the headers differ.
  const raw = path.join(root, 'frames.yuv');
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', `testsrc2=s=${W}x${H}:r=30`, '-frames:v', '30', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', raw]);
  const enc = { ...DEFAULT_ENCODER, preset: 'veryfast' };
  const encodeTemplate = async (extra: string[]) => (await runFfmpeg([...rawInputArgs({ width: W, height: H, fps }, raw), '-vf', 'setsar=1', '-an', ...videoEncoderArgs(enc, fps), ...extra,
    '-force_key_frames', forceKeyframesExpr([0]), '-frames:v', '30', '-f', 'mpegts', 'pipe:1'], { captureStdout: true })).stdout;
  const v = { width: W, height: H, fps, frames: 30, encoder: enc };
  await checkSpliceable(await encodeTemplate([]), raw, v); // the real template's own segment passes
  await assert.rejects(checkSpliceable(await encodeTemplate(['-x264-params', 'weightp=0']), raw, v), (e: unknown) => e instanceof SpliceError && /PPS differs/.test((e as Error).message));
});
