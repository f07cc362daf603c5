// The splice is the heart of the design: a re-encoded segment must drop into
// the single-pass stream without a decoder noticing. Real ffmpeg, small video.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { videoEncoderArgs, audioEncoderArgs, forceKeyframesExpr, tsMuxArgs } from '../src/video/encoder.ts';
import { DEFAULT_ENCODER } from '../src/templates/manifest.ts';
import { cutSegments } from '../src/video/ts/segmenter.ts';
import { spliceSegment, packetize, SpliceError } from '../src/video/ts/splice.ts';
import { parsePackets, collectPes, findStreams } from '../src/video/ts/packets.ts';
import { ccBreaks } from './support/ts-reader.ts';

const fps = { num: 30, den: 1 };
const enc = { ...DEFAULT_ENCODER, preset: 'ultrafast' };
const dir = mkdtempSync(path.join(os.tmpdir(), 'kasane-splice-'));

async function encodeFull(): Promise<Buffer> {
  const out = path.join(dir, 'full.ts');
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=30', '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', '3',
    ...videoEncoderArgs(enc, fps), '-force_key_frames', forceKeyframesExpr([0, 30, 60]), ...audioEncoderArgs(enc), ...tsMuxArgs(), '-f', 'mpegts', out]);
  return (await import('node:fs')).readFileSync(out);
}

async function reencode(startFrame: number, frames: number, extra = ''): Promise<Buffer> {
  const { stdout } = await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=30', '-filter_complex', `[0:v]trim=start_frame=${startFrame}:end_frame=${startFrame + frames},setpts=PTS-STARTPTS,drawbox=x=20:y=20:w=120:h=60:color=red@0.9:t=fill${extra}[v]`,
    '-map', '[v]', '-an', ...videoEncoderArgs(enc, fps), '-force_key_frames', forceKeyframesExpr([0]), '-frames:v', String(frames), '-f', 'mpegts', 'pipe:1'], { captureStdout: true });
  return stdout;
}


test('segments cut from one encode keep counters and timestamps continuous', async () => {
  const segs = cutSegments(await encodeFull(), [0, 30, 60]);
  assert.deepEqual(segs.map((s) => s.frames), [30, 30, 30]);
  assert.deepEqual(ccBreaks(Buffer.concat(segs.map((s) => s.bytes))), []);
  for (const s of segs) {
    const pk = parsePackets(s.bytes);
    assert.equal(pk[0]!.pid, 0, 'each segment opens with a PAT');
    const v = collectPes(pk, findStreams(pk).videoPid);
    assert.ok(v[0]!.randomAccess, 'each segment opens with a keyframe');
  }
});

test('a spliced segment is indistinguishable to ffmpeg and keeps the template timing', async () => {
  const segs = cutSegments(await encodeFull(), [0, 30, 60]);
  const spliced = spliceSegment(segs[1]!.bytes, await reencode(30, 30));
  const all = [segs[0]!.bytes, spliced, segs[2]!.bytes];
  assert.deepEqual(ccBreaks(Buffer.concat(all)), []);
  const tp = parsePackets(segs[1]!.bytes);
  const sp = parsePackets(spliced);
  const tv = collectPes(tp, findStreams(tp).videoPid);
  const sv = collectPes(sp, findStreams(sp).videoPid);
  assert.deepEqual(sv.map((p) => [p.pts, p.dts]), tv.map((p) => [p.pts, p.dts]));
  // Audio and PSI packets are byte-identical to the template's.
  const a = findStreams(tp).audioPid!;
  assert.deepEqual(sp.filter((p) => p.pid === a).map((p) => p.raw.toString('hex')), tp.filter((p) => p.pid === a).map((p) => p.raw.toString('hex')));
  let m3u8 = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n';
  all.forEach((b, i) => {
    writeFileSync(path.join(dir, `s${i}.ts`), b);
    m3u8 += `#EXTINF:1.000000,\ns${i}.ts\n`;
  });
  writeFileSync(path.join(dir, 'p.m3u8'), m3u8 + '#EXT-X-ENDLIST\n');
  const { stderr } = await runFfmpeg(['-nostats', '-v', 'warning', '-i', path.join(dir, 'p.m3u8'), '-map', '0', '-f', 'null', '-']);
  assert.equal(stderr.trim(), '');
  // And the new pixels are there: the red box in frame 45 (inside segment 1).
  const { stdout } = await runFfmpeg(['-v', 'error', '-i', path.join(dir, 'p.m3u8'), '-vf', 'select=eq(n\\,45),crop=60:30:50:35', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { captureStdout: true });
  let r = 0, g = 0;
  for (let i = 0; i < stdout.length; i += 3) { r += stdout[i]!; g += stdout[i + 1]!; }
  assert.ok(r / (stdout.length / 3) > 180 && g / (stdout.length / 3) < 80, 'overlay pixels are red');
});

test('a naive concatenation is caught (the check can fail)', async () => {
  const segs = cutSegments(await encodeFull(), [0, 30, 60]);
  const naive = await reencode(30, 30);
  assert.notDeepEqual(ccBreaks(Buffer.concat([segs[0]!.bytes, naive, segs[2]!.bytes])), []);
});

test('a re-encode with other timing is refused rather than spliced', async () => {
  const segs = cutSegments(await encodeFull(), [0, 30, 60]);
  await assert.rejects(async () => spliceSegment(segs[1]!.bytes, await reencode(30, 29)), SpliceError);
});

test('packetize pads by exactly the requested number of packets', () => {
  const pes = Buffer.alloc(5000, 7);
  const base = packetize(pes, 256, 123456789n, true, 0).length;
  for (let extra = 0; extra < 16; extra++) {
    const pk = packetize(pes, 256, 123456789n, true, extra);
    assert.equal(pk.length, base + extra);
    const parsed = parsePackets(Buffer.concat(pk));
    assert.equal(parsed[0]!.pcr, 123456789n);
    assert.ok(parsed[0]!.randomAccess);
    const payload = Buffer.concat(parsed.map((p) => p.raw.subarray(p.payloadStart)));
    assert.deepEqual(payload, pes);
  }
});
