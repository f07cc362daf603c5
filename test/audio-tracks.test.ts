// A base video with several audio tracks: only the first is used, and the
// upload report and the prepared plan say which, instead of dropping the rest silently.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { prepareTemplate } from '../src/templates/prepare.ts';
import { blocking, validatePackage } from '../src/templates/validate-package.ts';
import { solidPng } from './support/pixels.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-audio-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a video with two audio tracks: the report notes that only the first is used, and the plan records it', async () => {
  const dir = path.join(root, 'dub');
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'color=c=gray:s=160x90:r=25', '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-f', 'lavfi', '-i', 'sine=f=880:r=48000', '-t', '2',
    '-map', '0:v', '-map', '1:a', '-map', '2:a', '-metadata:s:a:0', 'language=jpn', '-metadata:s:a:1', 'language=eng',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(root, 'clip.mp4')]);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(root, 'clip.mp4'), path.join(dir, 'clip.mp4'));
  writeFileSync(path.join(dir, 'badge.png'), solidPng(32, 32, '#ff0000'));
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id: 'dub', name: 'two audio tracks', video: { file: 'clip.mp4' }, encoder: { preset: 'ultrafast' }, fields: {},
    layers: [{ id: 'badge', type: 'image', file: 'badge.png', start: 0.5, end: 1, box: { x: 8, y: 8, width: 32, height: 32 } }],
  }));

  const report = await validatePackage(dir);
  assert.deepEqual(blocking(report.problems), [], 'not refused');
  const note = report.problems.find((q) => q.pointer === '/video/file' && /audio tracks/.test(q.message));
  assert.ok(note, `a note about the audio tracks: ${JSON.stringify(report.problems)}`);
  assert.match(note.message, /^note: the video has 2 audio tracks; only the first \(#0:1\(jpn\): aac\) is used/);
  assert.ok(note.message_ja?.includes('2本'));

  const log: string[] = [];
  const plan = await prepareTemplate(dir, new LocalStorage(path.join(root, 'storage')), { log: (m) => log.push(m) });
  assert.equal(plan.source.audioTracks, 2);
  assert.equal(plan.source.audioTrack, '#0:1(jpn): aac');
  assert.ok(log.some((m) => m.includes('first track (#0:1(jpn): aac) of 2')), log.join('\n'));
});
