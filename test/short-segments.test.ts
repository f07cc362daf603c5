// Short segments keep their sound. A template whose first segment is half a second
// (an overlay from 0.5 s) and that has a 0.3 s personalized segment in the middle:
// every segment, in the template's own stream and in a render, carries the audio of
// its own time span (first audio PTS at its first video frame, give or take one AAC
// frame and the B-frame decode lead), and the stitched stream passes every stream
// check and decodes without a warning. Drives prepare, render and splice directly.
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
import { loadConfig } from '../src/config/index.ts';
import { solidPng } from './support/pixels.ts';
import { startStaticServer } from './support/static-server.ts';
import { analyzeSegment, checkStream } from './support/hls-checks.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-short-'));
after(() => rmSync(root, { recursive: true, force: true }));

const W = 160;
const H = 90;
const BOX = { x: 8, y: 8, width: 48, height: 32 };
/** One AAC frame (1024 samples at 48 kHz) in 90 kHz ticks. */
const AAC_FRAME = (1024 * 90000) / 48000;

// A sine tone (AAC frames of a few hundred bytes) and a clip without sound (prepare adds
// silence, whose AAC frames are a few bytes: the muxer used to gather 0.7 s of them per PES).
for (const sound of ['sine', 'silent'] as const) test(`${sound}: short segments (0.5 s first, 0.3 s in the middle) carry their own audio, template and render alike`, async () => {
  const dir = path.join(root, sound);
  mkdirSync(dir, { recursive: true });
  const audio = sound === 'sine' ? ['-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-c:a', 'aac'] : [];
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', `color=c=0x808080:s=${W}x${H}:r=25`, ...audio, '-t', '3',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-shortest', path.join(dir, 'base.mp4')], { timeoutMs: 60_000 });
  writeFileSync(path.join(dir, 'red.png'), solidPng(BOX.width, BOX.height, '#ff0000'));
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id: `short-${sound}`,
    name: `short segments, ${sound}`,
    video: { file: 'base.mp4' },
    encoder: { preset: 'ultrafast' },
    fields: {},
    layers: [
      { id: 'early', type: 'image', file: 'red.png', start: 0.5, end: 0.8, box: BOX },
      { id: 'middle', type: 'image', file: 'red.png', start: 1.0, end: 1.3, box: BOX },
    ],
  }));
  const storage = new LocalStorage(path.join(root, 'storage'));
  const plan = await prepareTemplate(dir, storage, { log: () => {} });
  const durations = plan.segments.map((s) => s.duration);
  assert.ok(plan.segments[0]!.duration <= 0.52, `first segment is short (${durations.join(', ')})`);
  assert.ok(plan.segments.some((s, i) => i > 0 && i < plan.segments.length - 1 && s.duration <= 0.3), `a short segment in the middle (${durations.join(', ')})`);
  const keys = segmentKeys(plan, resolveInputs(plan, {}), Buffer.from('test'));
  await renderPersonalSegments(plan, {}, keys, storage, drawContext(plan, storage, loadConfig().imageFetch));

  const server = await startStaticServer(storage.root, {
    '/ref.m3u8': { body: Buffer.from(mediaPlaylist(plan, (i) => '/' + plan.segments[i]!.key)), type: 'application/vnd.apple.mpegurl' },
    '/render.m3u8': { body: Buffer.from(mediaPlaylist(plan, (i) => '/' + (plan.segments[i]!.kind === 'dynamic' ? keys[i]! : plan.segments[i]!.key))), type: 'application/vnd.apple.mpegurl' },
  });
  try {
    for (const which of ['ref', 'render'] as const) {
      const misplaced: string[] = [];
      for (const [i, s] of plan.segments.entries()) {
        const file = path.join(storage.root, which === 'render' && s.kind === 'dynamic' ? keys[i]! : s.key);
        const a = analyzeSegment(readFileSync(file));
        // Audio is muxed by decode time, so a segment may open with audio up to the keyframe's
        // decode lead (B-frames) before its first picture, plus part of one AAC frame.
        const lead = a.firstVideoPts - a.firstVideoDts;
        const off = a.firstAudioPts === undefined ? undefined : a.firstAudioPts - a.firstVideoPts;
        if (off === undefined || off > AAC_FRAME || off < -(AAC_FRAME + lead)) {
          misplaced.push(`segment ${i} (${s.duration.toFixed(2)} s): first audio PTS ${a.firstAudioPts ?? 'none'}, first video PTS ${a.firstVideoPts} (off by ${off ?? '-'} ticks)`);
        }
      }
      assert.deepEqual(misplaced, [], `${which}: every segment has the audio of its own span`);
    }
    const report = await checkStream(`${server.origin}/render.m3u8`, { reference: `${server.origin}/ref.m3u8` });
    assert.deepEqual(report.failures, [], 'the stitched render passes every stream check');
    assert.equal(report.ffmpegWarnings, '', 'ffmpeg -v warning decodes the render silently');
    const ref = await checkStream(`${server.origin}/ref.m3u8`);
    assert.deepEqual(ref.failures, [], 'the template stream passes every stream check');
  } finally {
    await server.close();
  }
});
