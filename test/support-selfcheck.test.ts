// Self-test of test/support: a known-good ffmpeg-made HLS stream must pass
// every check and play to the end in Chromium; deliberately broken variants
// must produce the specific failures.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findStreams, parsePackets } from './support/ts-reader.ts';
import { adtsFrames, checkStream, nalUnits, tsDelta, type StreamReport } from './support/hls-checks.ts';
import { runFfmpeg } from './support/ffmpeg-run.ts';
import { playInChromium, playbackFailures, HLSJS_GAP_PATTERN } from './support/player.ts';
import { startStaticServer, type StaticServer } from './support/static-server.ts';

const SEGMENTS = 4;
const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '60', '-sc_threshold', '0'];
const AAC = ['-c:a', 'aac', '-b:a', '96k'];

let dir: string;
let server: StaticServer;
let url: (p: string) => string;
let badlistGets = 0;

async function ffmpeg(args: string[]) {
  const r = await runFfmpeg(['-hide_banner', '-nostats', '-v', 'error', '-y', ...args], 60_000);
  if (r.code !== 0) throw new Error(`ffmpeg failed (${r.code}): ${r.stderr}`);
}

function explain(r: StreamReport): string {
  return JSON.stringify({ failures: r.failures, notes: r.notes }, null, 2);
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kasane-selfcheck-'));
  const good = path.join(dir, 'good');
  await mkdir(good);
  // Known-good stream: 8 s, 2 s segments, IDR every 60 frames at 30 fps.
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=30',
    '-f', 'lavfi', '-i', 'sine=f=440:r=48000',
    '-t', '8', ...X264, ...AAC,
    '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod',
    '-hls_segment_filename', path.join(good, 'seg%d.ts'), path.join(good, 'index.m3u8'),
  ]);
  // An independently encoded 2 s segment: same settings, timestamps start over.
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=30',
    '-f', 'lavfi', '-i', 'sine=f=880:r=48000',
    '-t', '2', ...X264, ...AAC, '-f', 'mpegts', path.join(dir, 'alt.ts'),
  ]);

  // spliced/: segment 2 replaced by the independent encode.
  const spliced = path.join(dir, 'spliced');
  await mkdir(spliced);
  await copyFile(path.join(good, 'index.m3u8'), path.join(spliced, 'index.m3u8'));
  for (let i = 0; i < SEGMENTS; i++) {
    await copyFile(i === 2 ? path.join(dir, 'alt.ts') : path.join(good, `seg${i}.ts`), path.join(spliced, `seg${i}.ts`));
  }

  // cc/: one video packet in segment 1 gets its continuity counter changed.
  const cc = path.join(dir, 'cc');
  await mkdir(cc);
  for (const f of ['index.m3u8', ...Array.from({ length: SEGMENTS }, (_, i) => `seg${i}.ts`)]) {
    await copyFile(path.join(good, f), path.join(cc, f));
  }
  const seg1 = await readFile(path.join(cc, 'seg1.ts'));
  const packets = parsePackets(seg1);
  const vpid = findStreams(packets).videoPid;
  const victim = packets.filter((p) => p.pid === vpid && p.hasPayload)[100]!;
  seg1[victim.index * 188 + 3] = seg1[victim.index * 188 + 3]! ^ 0x08;
  await writeFile(path.join(cc, 'seg1.ts'), seg1);

  const goodSegs = await Promise.all(Array.from({ length: SEGMENTS }, (_, i) => readFile(path.join(good, `seg${i}.ts`))));
  server = await startStaticServer(dir, {
    // Master playlist whose variant URI is relative to it.
    '/master.m3u8': Buffer.from(
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"\ngood/index.m3u8\n',
    ),
    // A media playlist breaking the playlist-level rules; it changes on every GET.
    '/badlist/index.m3u8': () => {
      badlistGets++;
      return Buffer.from(
        [
          '#EXTM3U',
          '#EXT-X-VERSION:3',
          '#EXT-X-TARGETDURATION:2',
          '#EXT-X-MEDIA-SEQUENCE:0',
          `# request ${badlistGets}`,
          '#EXTINF:2.6,',
          '/chunked/seg0.ts',
          '#EXTINF:2.000000,',
          '../good/seg1.ts',
          '#EXT-X-DISCONTINUITY',
          '#EXTINF:2.000000,',
          '../good/seg2.ts',
          '#EXTINF:2.000000,',
          '../good/seg3.ts',
          '',
        ].join('\n'),
      );
    },
    // Same bytes as good/seg0.ts, but chunked: no Content-Length.
    '/chunked/seg0.ts': { body: goodSegs[0]!, chunked: true },
  });
  url = (p: string) => `${server.origin}/${p}`;
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('elementary-stream helpers', () => {
  test('nalUnits splits 3- and 4-byte start codes and strips trailing zeros', () => {
    const es = Buffer.from([0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1e, 0, 0, 1, 0x68, 0xee, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00]);
    const nals = nalUnits(es);
    assert.deepEqual(nals.map((n) => n.type), [7, 8, 5]);
    assert.deepEqual([...nals[0]!.data], [0x67, 0x64, 0x00, 0x1e]);
    assert.deepEqual([...nals[1]!.data], [0x68, 0xee, 0x3c, 0x80]);
    assert.deepEqual([...nals[2]!.data], [0x65, 0x88, 0x84]);
  });

  test('adtsFrames reads frame length, sample rate and raw data blocks', () => {
    const frame = (len: number, srIndex: number, blocks: number) => {
      const b = Buffer.alloc(len);
      b[0] = 0xff;
      b[1] = 0xf1; // MPEG-4, layer 0, no CRC
      b[2] = (1 << 6) | (srIndex << 2); // AAC LC
      b[3] = (1 << 6) | ((len >> 11) & 0x3); // 1 channel
      b[4] = (len >> 3) & 0xff;
      b[5] = ((len & 0x7) << 5) | 0x1f;
      b[6] = 0xfc | (blocks - 1);
      return b;
    };
    const payload = Buffer.concat([frame(20, 3, 1), frame(33, 3, 2)]);
    const frames = adtsFrames(payload);
    assert.equal(frames.length, 2);
    assert.deepEqual(frames.map((f) => [f.length, f.sampleRate, f.blocks, f.samples, f.channelConfig]), [
      [20, 48000, 1, 1024, 1],
      [33, 48000, 2, 2048, 1],
    ]);
    assert.equal(adtsFrames(Buffer.concat([payload, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])])).length, 2);
  });

  test('tsDelta handles the 33-bit wrap', () => {
    assert.equal(tsDelta(2 ** 33 - 1000, 2000), 3000);
    assert.equal(tsDelta(2000, 2 ** 33 - 1000), -3000);
  });
});

describe('checkStream', () => {
  test('known-good ffmpeg stream passes every check', async () => {
    const r = await checkStream(url('good/index.m3u8'));
    assert.equal(r.ok, true, explain(r));
    assert.equal(r.segments.length, SEGMENTS);
    assert.ok(r.segments.every((s) => s.idr && s.bytes > 0 && s.firstAudioPts !== undefined));
    assert.equal(r.frameDuration, 3000);
    assert.equal(r.totalExtinf, 8);
    assert.ok(Math.abs(r.decodedDuration - 8) <= 1 / 30, `decoded ${r.decodedDuration}`);
    assert.equal(r.ffmpegWarnings, '');
    // Boundaries line up frame-exactly.
    for (let i = 1; i < SEGMENTS; i++) assert.equal(r.segments[i]!.firstVideoDts - r.segments[i - 1]!.lastVideoDts, 3000);
  });

  test('master playlist is followed to its first variant; a stream matches itself as reference', async () => {
    const r = await checkStream(url('master.m3u8'), { reference: url('good/index.m3u8'), refetchSegments: true });
    assert.equal(r.ok, true, explain(r));
    assert.equal(r.mediaPlaylistUrl, url('good/index.m3u8'));
  });

  test('segment replaced by an independent encode: CC, PTS, boundary and ffmpeg failures', async () => {
    const r = await checkStream(url('spliced/index.m3u8'), { reference: url('good/index.m3u8') });
    assert.equal(r.ok, false);
    const has = (re: RegExp) => assert.ok(r.failures.some((f) => re.test(f)), `no failure matching ${re}:\n${explain(r)}`);
    has(/^segment 2 packet \d+ PID 0x[0-9a-f]+: CC discontinuity/);
    has(/^segment 3 packet \d+ PID 0x[0-9a-f]+: CC discontinuity/);
    has(/^reference: segment 2 first video PTS \d+ != reference \d+/);
    has(/^reference: segment 2 first video DTS/);
    has(/^reference: segment 2 first audio PTS/);
    has(/video DTS gap at boundary 1->2/);
    has(/audio PTS gap at boundary 1->2/);
    has(/video DTS gap at boundary 2->3/);
    has(/^ffmpeg: printed warnings/);
    assert.match(r.ffmpegWarnings, /non monotonically increasing dts/);
    // Only segment 2 differs from the reference.
    assert.ok(!r.failures.some((f) => /^reference: segment [013] /.test(f)), explain(r));
  });

  test('one flipped continuity counter is caught (ffmpeg itself does not notice)', async () => {
    const r = await checkStream(url('cc/index.m3u8'));
    assert.equal(r.ok, false);
    const own = r.failures.filter((f) => !f.startsWith('ffmpeg:'));
    assert.ok(own.length >= 1 && own.every((f) => /^segment 1 packet \d+ PID 0x100: CC discontinuity/.test(f)), explain(r));
  });

  test('playlist-level violations are all reported', async () => {
    const r = await checkStream(url('badlist/index.m3u8'));
    assert.equal(r.ok, false);
    const has = (re: RegExp) => assert.ok(r.failures.some((f) => re.test(f)), `no failure matching ${re}:\n${explain(r)}`);
    has(/hls-parser strict mode rejects/);
    has(/segment 0 EXTINF 2\.6 rounds above TARGETDURATION 2/);
    has(/EXT-X-DISCONTINUITY before segment 2/);
    has(/EXT-X-PLAYLIST-TYPE is missing/);
    has(/EXT-X-ENDLIST missing/);
    has(/repeated GET .* different bytes/);
    has(/segment 0 response has no Content-Length/);
    has(/sum of EXTINF 8\.6.* differs from decoded duration 8\.0/);
    // Segment data is the good stream's: no TS-level failures.
    assert.ok(!r.failures.some((f) => /CC discontinuity|DTS gap|IDR|SPS|PPS/.test(f)), explain(r));
  });
});

describe('playInChromium', () => {
  test('known-good stream plays to the end without errors', async () => {
    const r = await playInChromium(url('good/index.m3u8'), { playbackRate: 4, timeoutMs: 60_000 });
    const ctx = JSON.stringify({ ...r, log: r.log.slice(-40), entries: undefined }, null, 2);
    assert.deepEqual(r.errors, [], ctx);
    assert.equal(r.ended, true, ctx);
    assert.equal(r.bufferedRanges.length, 1, ctx);
    assert.equal(r.waitingAfterStart, 0, ctx);
    assert.ok(r.firstFrameMs > 0, ctx);
    assert.ok(Math.abs(r.duration - 8) < 0.2, ctx);
    assert.deepEqual(playbackFailures(r), [], ctx);
  });

  test('the spliced stream makes hls.js paper over timestamp jumps, which is reported', async () => {
    const r = await playInChromium(url('spliced/index.m3u8'), { playbackRate: 4, timeoutMs: 60_000 });
    const gaps = r.entries.filter((e) => HLSJS_GAP_PATTERN.test(e.msg) && (e.position ?? e.mediaTime) > 0.5);
    assert.ok(gaps.length > 0, r.log.join('\n'));
    assert.ok(playbackFailures(r).length > 0);
  });
});
