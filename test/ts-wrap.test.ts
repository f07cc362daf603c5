// MPEG-TS edge cases of the segmenter and the splice: timestamps that wrap at
// 2^33 (26.5 h of the 90 kHz clock) inside a segment, cutting while reading,
// and a splice check that still refuses another frame pattern. Real ffmpeg.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { videoEncoderArgs, audioEncoderArgs, forceKeyframesExpr, tsMuxArgs, type Rational } from '../src/video/encoder.ts';
import { DEFAULT_ENCODER } from '../src/templates/manifest.ts';
import { cutSegments, cutSegmentsFromFile, TsSegmenter, type CutSegment } from '../src/video/ts/segmenter.ts';
import { spliceSegment, SpliceError } from '../src/video/ts/splice.ts';
import { parsePackets, collectPes, findStreams, TS_WRAP } from '../src/video/ts/packets.ts';
import { ccBreaks } from './support/ts-reader.ts';

const enc = { ...DEFAULT_ENCODER, preset: 'ultrafast' };
const dir = mkdtempSync(path.join(os.tmpdir(), 'kasane-tswrap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const rateArg = (r: Rational) => `${r.num}/${r.den}`;

/** A single-pass template encode (video + audio) with keyframes at the boundaries. */
async function encodeFull(name: string, r: Rational, seconds: number, boundaries: number[], extra: string[] = []): Promise<string> {
  const out = path.join(dir, name);
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', `testsrc2=s=160x90:r=${rateArg(r)}`, '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', String(seconds),
    ...videoEncoderArgs(enc, r), '-force_key_frames', forceKeyframesExpr(boundaries), ...audioEncoderArgs(enc), ...tsMuxArgs(), ...extra, '-f', 'mpegts', out]);
  return out;
}

/** A personal re-encode of frames [start, start + frames), timestamps from 0, as a render makes. */
async function reencode(r: Rational, start: number, frames: number, encoder = enc): Promise<Buffer> {
  const { stdout } = await runFfmpeg(['-f', 'lavfi', '-i', `testsrc2=s=160x90:r=${rateArg(r)}`, '-filter_complex',
    `[0:v]trim=start_frame=${start}:end_frame=${start + frames},setpts=PTS-STARTPTS,drawbox=x=20:y=20:w=60:h=30:color=red@0.9:t=fill[v]`,
    '-map', '[v]', '-an', ...videoEncoderArgs(encoder, r), '-force_key_frames', forceKeyframesExpr([0]), '-frames:v', String(frames), '-f', 'mpegts', 'pipe:1'], { captureStdout: true });
  return stdout;
}

function videoTimes(buf: Buffer): Array<[number, number]> {
  const pk = parsePackets(buf);
  return collectPes(pk, findStreams(pk).videoPid).map((p) => [p.pts!, p.dts!]);
}


async function decodeWarnings(segments: Buffer[], name: string): Promise<string> {
  let m3u8 = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n';
  segments.forEach((b, i) => {
    writeFileSync(path.join(dir, `${name}${i}.ts`), b);
    m3u8 += `#EXTINF:1.000000,\n${name}${i}.ts\n`;
  });
  const playlist = path.join(dir, `${name}.m3u8`);
  writeFileSync(playlist, m3u8 + '#EXT-X-ENDLIST\n');
  const { stderr } = await runFfmpeg(['-nostats', '-v', 'warning', '-i', playlist, '-map', '0', '-f', 'null', '-']);
  return stderr.trim();
}

test('timestamps that wrap at 2^33 inside a segment: cut, spliced and decoded like any other', async () => {
  const fps = { num: 30, den: 1 };
  // 2^33 ticks = 95443.717 s: starting at 95442.4 s (plus the muxer's 0.04 s offset), the clock wraps 1.28 s in, inside segment 1 (frames 30-59).
  const file = await encodeFull('wrap.ts', fps, 4, [0, 30, 60, 90], ['-output_ts_offset', '95442.4']);
  const all = videoTimes(readFileSync(file));
  assert.ok(all[0]![1] > TS_WRAP - 90000 * 3 && all[all.length - 1]![1] < 90000 * 3, 'the encode wraps');
  const segs: CutSegment[] = [];
  for await (const s of cutSegmentsFromFile(file, [0, 30, 60, 90])) segs.push(s);
  assert.deepEqual(segs.map((s) => s.frames), [30, 30, 30, 30]);
  assert.deepEqual(ccBreaks(Buffer.concat(segs.map((s) => s.bytes))), []);
  const seg1 = videoTimes(segs[1]!.bytes);
  assert.ok(seg1.some(([, d]) => d > TS_WRAP / 2) && seg1.some(([, d]) => d < TS_WRAP / 2), 'segment 1 spans the wrap');
  assert.deepEqual([segs[1]!.firstPts, segs[1]!.firstDts], seg1[0], 'the first timestamps are reported as written (wrapped)');

  const spliced = spliceSegment(segs[1]!.bytes, await reencode(fps, 30, 30));
  assert.deepEqual(videoTimes(spliced), seg1, "the splice keeps the template's wrapped PTS/DTS");
  const stitched = [segs[0]!.bytes, spliced, segs[2]!.bytes, segs[3]!.bytes];
  assert.deepEqual(ccBreaks(Buffer.concat(stitched)), []);
  assert.equal(await decodeWarnings(stitched, 'wrap'), '');
});

test('the segmenter hands out each segment as soon as the next keyframe arrives, byte for byte the same', async () => {
  const fps = { num: 24000, den: 1001 };
  const bounds = [0, 13, 41, 97];
  const file = await encodeFull('stream.ts', fps, 5, bounds);
  const whole = readFileSync(file);
  const reference = cutSegments(whole, bounds);
  const seg = new TsSegmenter(bounds);
  const got: CutSegment[] = [];
  const readWhenDone: number[] = [];
  // Odd-sized chunks, as a pipe or a file stream delivers them.
  for (let off = 0; off < whole.length; off += 4001) {
    for (const s of seg.push(whole.subarray(off, off + 4001))) {
      got.push(s);
      readWhenDone.push(Math.min(whole.length, off + 4001));
    }
  }
  assert.equal(got.length, bounds.length - 1, 'all but the last segment come out while reading');
  got.push(...seg.end());
  assert.ok(readWhenDone[0]! < whole.length / 2, `segment 0 was ready after ${readWhenDone[0]} of ${whole.length} bytes`);
  assert.deepEqual(got.map((s) => [s.index, s.startFrame, s.frames, s.firstPts, s.firstDts]), reference.map((s) => [s.index, s.startFrame, s.frames, s.firstPts, s.firstDts]));
  got.forEach((s, i) => assert.ok(s.bytes.equals(reference[i]!.bytes), `segment ${i} bytes`));
  assert.throws(() => cutSegments(whole, [0, 13, 40]), /frame 40 is not a keyframe/);
  assert.throws(() => cutSegments(whole, [0, 13, 5000]), /past the end/);
});

test('at 23.976 fps the splice accepts rounding but still refuses another frame pattern', async () => {
  const fps = { num: 24000, den: 1001 };
  const bounds = [0, 37, 74];
  const segs = cutSegments(readFileSync(await encodeFull('pattern.ts', fps, 4, bounds)), bounds);
  // Same settings: ticks differ by rounding only, and the splice goes through with the template's timestamps.
  const ok = spliceSegment(segs[1]!.bytes, await reencode(fps, 37, 37));
  assert.deepEqual(videoTimes(ok), videoTimes(segs[1]!.bytes));
  assert.equal(await decodeWarnings([segs[0]!.bytes, ok, segs[2]!.bytes], 'pattern'), '');
  // No B-frames: the same frame count, but access units in another order.
  const other = await reencode(fps, 37, 37, { ...enc, bframes: 0 });
  assert.throws(() => spliceSegment(segs[1]!.bytes, other), SpliceError);
});
