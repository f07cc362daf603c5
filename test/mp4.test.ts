// /v/<token>/video.mp4: the stitched stream as one MP4 (issue 10 §2). Real service,
// real ffmpeg to read the file back, real Chromium to play it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startTestService, SHARED_STORAGE, withBrokenMezzanine, readPlan, type TestService } from './helpers/service.ts';
import { textLayer, writeTinyTemplate } from './helpers/tiny-template.ts';
import { runFfmpeg } from './support/ffmpeg-run.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/player.ts';
import { parseProbe } from '../src/video/ffmpeg.ts';
import { signToken } from '../src/viewer/signing.ts';

const TINY = 'mp4-tiny';
const FPS = 25;
let t: TestService;
let root: string;
let seq = 0;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kasane-mp4-'));
  const templates = path.join(root, 'templates');
  await writeTinyTemplate(templates, { id: TINY, name: 'mp4', seconds: 3, fields: { name: { type: 'string', required: true, maxLength: 10, example: '山田' } }, layers: [textLayer('{{name}}', 32)] });
  // A lazy render has to finish within the JIT wait on a busy 2-core machine.
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: templates, KASANE_JIT_WAIT_MS: '30000', KASANE_RENDER_ATTEMPTS: '1' } });
  await t.svc.prepareBundled();
});

after(async () => {
  await t?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function accept(mode: 'eager' | 'lazy', name = `佐${Date.now() % 1000000}${seq++}`, externalId?: string) {
  const r = await t.api('POST', '/v1/renders', { template: TINY, data: { name }, mode, ...(externalId ? { external_id: externalId } : {}) });
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
  return r.body as { id: string; state: string; playlist_url: string; player_url: string; mp4_url: string; poster_url: string };
}

/** The HLS stream a player gets: the playlist's segments fetched over HTTP, back to back; and ΣEXTINF. */
async function hlsStream(playlistUrl: string): Promise<{ bytes: Buffer; seconds: number }> {
  const text = await (await fetch(playlistUrl)).text();
  const seconds = [...text.matchAll(/#EXTINF:([\d.]+),/g)].reduce((a, m) => a + Number(m[1]), 0);
  const uris = text.split('\n').filter((l) => l && !l.startsWith('#'));
  const parts = await Promise.all(uris.map(async (u) => Buffer.from(await (await fetch(new URL(u, playlistUrl))).arrayBuffer())));
  return { bytes: Buffer.concat(parts), seconds };
}

interface Box {
  type: string;
  start: number;
  end: number;
}

/** ISO BMFF boxes between start and end (one level). */
function boxes(buf: Buffer, start = 0, end = buf.length): Box[] {
  const out: Box[] = [];
  for (let p = start; p + 8 <= end; ) {
    let size = buf.readUInt32BE(p);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) size = end - p;
    out.push({ type: buf.toString('latin1', p + 4, p + 8), start: p + header, end: p + size });
    p += size;
  }
  return out;
}

const child = (buf: Buffer, b: Box, type: string) => boxes(buf, b.start, b.end).find((x) => x.type === type);

/** Seconds of the video track's samples (mdhd duration / timescale). */
function videoTrackSeconds(buf: Buffer): number {
  const moov = boxes(buf).find((b) => b.type === 'moov')!;
  for (const trak of boxes(buf, moov.start, moov.end).filter((b) => b.type === 'trak')) {
    const mdia = child(buf, trak, 'mdia')!;
    const hdlr = child(buf, mdia, 'hdlr')!;
    if (buf.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'vide') continue;
    const mdhd = child(buf, mdia, 'mdhd')!;
    const v1 = buf[mdhd.start] === 1;
    const timescale = buf.readUInt32BE(mdhd.start + (v1 ? 20 : 12));
    const duration = v1 ? Number(buf.readBigUInt64BE(mdhd.start + 24)) : buf.readUInt32BE(mdhd.start + 16);
    return duration / timescale;
  }
  throw new Error('no video track');
}

/** framemd5 of the decoded pictures and sound: what a viewer sees and hears, frame by frame. */
async function decodedMd5(file: string): Promise<string[]> {
  const r = await runFfmpeg(['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-map', '0:v:0', '-map', '0:a:0', '-f', 'framemd5', '-']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => { const f = l.split(','); return `${f[0]}|${f[5]}`.replace(/\s/g, ''); });
}

test('the MP4 is the HLS stream, remuxed: H.264 + AAC, moov first, same frames and sound, same duration', async () => {
  const r = await accept('eager');
  assert.equal(r.mp4_url, r.player_url + 'video.mp4');
  assert.equal(r.poster_url, r.player_url + 'poster.jpg');
  await t.waitState(r.id, ['done']);
  const res = await fetch(r.mp4_url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'video/mp4');
  assert.equal(res.headers.get('accept-ranges'), 'bytes');
  const mp4 = Buffer.from(await res.arrayBuffer());
  assert.equal(mp4.length, Number(res.headers.get('content-length')));
  const file = path.join(root, 'a.mp4');
  writeFileSync(file, mp4);

  // ffprobe's checks, with ffmpeg: the stream summary, then a full decode that must say nothing.
  const info = await runFfmpeg(['-hide_banner', '-nostdin', '-i', file]);
  const probe = parseProbe(info.stderr);
  assert.equal(probe.videoCodec, 'h264');
  assert.equal(probe.audioCodec, 'aac');
  assert.match(info.stderr, /major_brand\s*: isom/);
  const decode = await runFfmpeg(['-hide_banner', '-nostdin', '-v', 'warning', '-i', file, '-f', 'null', '-']);
  assert.equal(decode.code, 0);
  assert.equal(decode.stderr.trim(), '', 'decoding the MP4 warned');

  // +faststart: the movie header comes before the media data.
  const top = boxes(mp4).map((b) => b.type);
  assert.equal(top[0], 'ftyp');
  assert.ok(top.indexOf('moov') >= 0 && top.indexOf('moov') < top.indexOf('mdat'), `top-level boxes: ${top.join(' ')}`);

  // Exactly what the HLS player gets, this person's segment included: every decoded frame and
  // audio frame identical (a re-encode would change them), and the same length.
  const hls = await hlsStream(r.playlist_url);
  const tsFile = path.join(root, 'a.ts');
  writeFileSync(tsFile, hls.bytes);
  const [fromMp4, fromHls] = await Promise.all([decodedMd5(file), decodedMd5(tsFile)]);
  assert.equal(fromMp4.filter((l) => l.startsWith('0|')).length, 3 * FPS);
  assert.deepEqual(fromMp4, fromHls);
  assert.ok(Math.abs(videoTrackSeconds(mp4) - hls.seconds) <= 1 / FPS, `video track ${videoTrackSeconds(mp4)} s, ΣEXTINF ${hls.seconds} s`);
  // The container also counts the audio, whose last AAC frame (1024 samples) runs past the
  // last picture by the encoder's priming/padding, as in the TS segments themselves.
  assert.ok(probe.durationSec - hls.seconds < 1 / FPS + 2 * (1024 / 48000), `container ${probe.durationSec} s, ΣEXTINF ${hls.seconds} s`);

  // Cached: kept in storage under its segment keys, served again without a remux, same validator.
  const st = await t.api('GET', `/v1/renders/${r.id}`);
  assert.equal(st.body.mp4_url, r.mp4_url);
  assert.equal(st.body.poster_url, r.poster_url);
  const again = await fetch(r.mp4_url);
  assert.equal(again.headers.get('etag'), res.headers.get('etag'));
  assert.ok(Buffer.from(await again.arrayBuffer()).equals(mp4));
  assert.equal((await fetch(r.mp4_url, { headers: { 'if-none-match': res.headers.get('etag')! } })).status, 304);
  const etag = res.headers.get('etag')!.slice(1, -1);
  assert.ok(existsSync(path.join(SHARED_STORAGE, 'mp4', etag.slice(0, 2), `${etag}.mp4`)), 'the MP4 is kept in storage');
});

test('Range requests: 206 with the exact bytes, suffix ranges, 416 past the end, HEAD', async () => {
  const r = await accept('eager');
  await t.waitState(r.id, ['done']);
  const full = Buffer.from(await (await fetch(r.mp4_url)).arrayBuffer());
  const size = full.length;

  const first = await fetch(r.mp4_url, { headers: { range: 'bytes=0-99' } });
  assert.equal(first.status, 206);
  assert.equal(first.headers.get('content-range'), `bytes 0-99/${size}`);
  assert.equal(first.headers.get('content-length'), '100');
  assert.ok(Buffer.from(await first.arrayBuffer()).equals(full.subarray(0, 100)));

  const tail = await fetch(r.mp4_url, { headers: { range: 'bytes=-500' } });
  assert.equal(tail.status, 206);
  assert.equal(tail.headers.get('content-range'), `bytes ${size - 500}-${size - 1}/${size}`);
  assert.ok(Buffer.from(await tail.arrayBuffer()).equals(full.subarray(size - 500)));

  const open = await fetch(r.mp4_url, { headers: { range: `bytes=${size - 10}-` } });
  assert.equal(open.status, 206);
  assert.equal((await open.arrayBuffer()).byteLength, 10);

  const past = await fetch(r.mp4_url, { headers: { range: `bytes=${size}-` } });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get('content-range'), `bytes */${size}`);

  // A range for other bytes than these (If-Range with another validator) gets the whole file.
  const stale = await fetch(r.mp4_url, { headers: { range: 'bytes=0-99', 'if-range': '"other"' } });
  assert.equal(stale.status, 200);
  assert.equal((await stale.arrayBuffer()).byteLength, size);

  const head = await fetch(r.mp4_url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(size));
  assert.equal(head.headers.get('accept-ranges'), 'bytes');
  assert.equal((await head.arrayBuffer()).byteLength, 0);
});

test('two identical renders share one MP4; a different person gets their own', async () => {
  const name = `同${Date.now() % 1000000}`;
  const a = await accept('eager', name, 'one');
  const b = await accept('eager', name, 'two');
  const c = await accept('eager');
  assert.notEqual(a.id, b.id);
  await Promise.all([a, b, c].map((x) => t.waitState(x.id, ['done'])));
  const [ea, eb, ec] = await Promise.all([a, b, c].map(async (x) => (await fetch(x.mp4_url)).headers.get('etag')));
  assert.equal(ea, eb);
  assert.notEqual(ea, ec);
});

test('the MP4 of a lazy render starts the render and waits for it; 503 + Retry-After when it is late, never a partial file', async () => {
  const late = await accept('lazy');
  assert.equal(late.state, 'lazy');
  const jit = t.svc.config.jitWaitMs;
  t.svc.config.jitWaitMs = 0;
  try {
    const res = await fetch(late.mp4_url);
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
  } finally {
    t.svc.config.jitWaitMs = jit;
  }
  assert.notEqual((await t.api('GET', `/v1/renders/${late.id}`)).body.state, 'lazy', 'the MP4 request started the render');

  const r = await accept('lazy');
  const res = await fetch(r.mp4_url);
  assert.equal(res.status, 200);
  assert.ok((await res.arrayBuffer()).byteLength > 1000);
  assert.equal((await t.api('GET', `/v1/renders/${r.id}`)).body.state, 'done');
});

test('a failed render: the whole video without the overlay (as its HLS), never kept', async () => {
  const r = await accept('lazy');
  const version = (await t.api('GET', `/v1/renders/${r.id}`)).body.version;
  const plan = readPlan(TINY, version);
  // With this version's mezzanine broken, the render's ffmpeg run fails.
  await withBrokenMezzanine(TINY, version, async () => {
    assert.equal((await fetch(r.playlist_url)).status, 200); // starts the lazy render
    await t.waitState(r.id, ['failed']);
  });
  const res = await fetch(r.mp4_url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'private, no-store');
  const file = path.join(root, 'failed.mp4');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const template = path.join(root, 'template.ts');
  writeFileSync(template, Buffer.concat(plan.segments.map((s: any) => readFileSync(path.join(SHARED_STORAGE, s.key)))));
  const hls = path.join(root, 'failed.ts');
  writeFileSync(hls, (await hlsStream(r.playlist_url)).bytes);
  const [fromMp4, fromTemplate, fromHls] = await Promise.all([decodedMd5(file), decodedMd5(template), decodedMd5(hls)]);
  assert.deepEqual(fromMp4, fromTemplate, 'the template video, no personal frame');
  assert.deepEqual(fromMp4, fromHls, 'what the HLS viewer gets too');
});

test('a bad token gets 403, an expired one 410', async () => {
  const r = await accept('lazy');
  const token = r.player_url.split('/v/')[1]!.replace(/\/$/, '');
  assert.equal((await fetch(`${t.url}/v/${token.slice(0, -2)}xx/video.mp4`)).status, 403);
  const expired = signToken([{ id: 'k1', secret: Buffer.from('test-signing-secret-0123456789') }], r.id, Math.floor(Date.now() / 1000) - 5);
  assert.equal((await fetch(`${t.url}/v/${expired}/video.mp4`)).status, 410);
  assert.equal((await t.api('GET', `/v1/renders/${r.id}`)).body.state, 'lazy', 'refused requests start nothing');
});

test('plays in Chromium from <video src> to the end', async () => {
  const r = await accept('eager');
  await t.waitState(r.id, ['done']);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${t.url}/healthz`);
    const result = await page.evaluate(
      (src) =>
        new Promise<{ ended: boolean; duration: number; error: string | null }>((resolve) => {
          const v = document.createElement('video');
          v.muted = true;
          v.playbackRate = 2;
          v.addEventListener('ended', () => resolve({ ended: true, duration: v.duration, error: null }));
          v.addEventListener('error', () => resolve({ ended: false, duration: v.duration, error: `code ${v.error?.code} ${v.error?.message}` }));
          setTimeout(() => resolve({ ended: false, duration: v.duration, error: `timed out at ${v.currentTime}` }), 30_000);
          v.src = src;
          document.body.append(v);
          void v.play();
        }),
      r.mp4_url,
    );
    assert.equal(result.error, null);
    assert.ok(result.ended);
    assert.ok(Math.abs(result.duration - 3) < 0.1, `duration ${result.duration}`);
  } finally {
    await browser.close();
  }
});
