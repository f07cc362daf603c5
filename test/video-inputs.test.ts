// Base videos as operators really send them: phone clips stored landscape with a
// display matrix (shown portrait), and files whose header lies about their length.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ffmpegBinary, runFfmpeg } from './support/ffmpeg-run.ts';
import { startTestService, API_KEY, type TestService } from './helpers/service.ts';
import { probe } from '../src/video/ffmpeg.ts';
import { expandMezzanine } from '../src/video/mezzanine.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-video-inputs-'));
const STORAGE = path.join(root, 'storage');
const PORTRAIT = path.join(root, 'portrait.mp4');
const LIAR = path.join(root, 'liar.mp4');
let t: TestService;

async function ffmpeg(args: string[]): Promise<void> {
  const r = await runFfmpeg(['-hide_banner', '-v', 'error', '-y', ...args]);
  assert.equal(r.code, 0, r.stderr);
}

/** A browser shows BT.709, limited range, whatever the stream is tagged (Chromium treats untagged video so). */
const AS_BROWSER = 'scale=in_color_matrix=bt709:in_range=tv';

/** Raw rgb24 bytes of the first frame, decoded by ffmpeg as a player would (autorotation on), through `vf` if given. */
function frameRgb(file: string, vf?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = spawn(ffmpegBinary(), ['-hide_banner', '-v', 'error', '-i', file, ...(vf ? ['-vf', vf] : []), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    c.stdout.on('data', (b: Buffer) => out.push(b));
    c.stderr.on('data', (b: Buffer) => (err += b));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(err))));
  });
}

/** Mean RGB of a rectangle of a packed rgb24 frame. */
function meanRgb(rgb: Buffer, width: number, x: number, y: number, w: number, h: number): [number, number, number] {
  const s = [0, 0, 0];
  for (let row = y; row < y + h; row++) {
    for (let col = x; col < x + w; col++) for (let k = 0; k < 3; k++) s[k]! += rgb[(row * width + col) * 3 + k]!;
  }
  return s.map((v) => Math.round(v / (w * h))) as [number, number, number];
}

const isRed = ([r, g, b]: number[]) => r! > 180 && g! < 70 && b! < 70;
const isBlue = ([r, g, b]: number[]) => b! > 180 && r! < 70 && g! < 70;

/**
 * Sets the duration fields of an MP4's header (mvhd, every tkhd and mdhd) without touching
 * its samples or edit lists: the file still holds all its frames, the header says otherwise.
 */
function lieAboutDuration(file: string, seconds: number): void {
  const buf = readFileSync(file);
  const walk = (start: number, end: number) => {
    for (let off = start; off + 8 <= end; ) {
      const size = buf.readUInt32BE(off);
      const type = buf.toString('latin1', off + 4, off + 8);
      const body = off + 8;
      if (size < 8) throw new Error(`unexpected box size at ${off}`);
      if (['moov', 'trak', 'mdia'].includes(type)) walk(body, off + size);
      if (type === 'mvhd' || type === 'mdhd' || type === 'tkhd') {
        assert.equal(buf[body], 0, `${type} version 0 expected`);
        // mvhd/mdhd: flags(4) created(4) modified(4) timescale(4) duration(4); tkhd: … track id(4) reserved(4) duration(4).
        if (type === 'tkhd') buf.writeUInt32BE(seconds * mvhdTimescale, body + 20);
        else buf.writeUInt32BE(seconds * buf.readUInt32BE(body + 12), body + 16);
      }
      off += size;
    }
  };
  const moov = buf.indexOf('moov', 0, 'latin1') - 4;
  const mvhd = buf.indexOf('mvhd', moov, 'latin1') + 4;
  const mvhdTimescale = buf.readUInt32BE(mvhd + 12);
  walk(moov, moov + buf.readUInt32BE(moov));
  writeFileSync(file, buf);
}

/** The rotation a file's first tkhd matrix asks for, read straight from the bytes (clockwise degrees). */
function tkhdRotation(file: string): number {
  const buf = readFileSync(file);
  const tkhd = buf.indexOf('tkhd', 0, 'latin1') + 4;
  const m = (i: number) => buf.readInt32BE(tkhd + 40 + i * 4) / 65536; // version 0: matrix after 40 bytes
  // ISO/IEC 14496-12: (x', y') = (x, y) · [a b; c d]; with y pointing down, a=0 b=1 c=-1 d=0 turns right.
  const [a, b, c, d] = [m(0), m(1), m(3), m(4)];
  if (a === 0 && b === 1 && c === -1 && d === 0) return 90;
  if (a === 0 && b === -1 && c === 1 && d === 0) return 270;
  if (a === -1 && d === -1) return 180;
  return 0;
}

function manifest(id: string, box: { x: number; y: number; width: number; height: number }) {
  return {
    id,
    name: id,
    video: { file: 'clip.mp4' },
    encoder: { preset: 'ultrafast' },
    fields: { name: { type: 'string', required: true, maxLength: 8, example: '山田', worst: 'ジェニファー' } },
    layers: [{ id: 'hello', type: 'text', start: 1, end: 2, box, text: '{{name}}', fit: 'shrink', style: { fontSize: 24, color: '#ffffff' } }],
  };
}

async function upload(id: string, video: string, box: { x: number; y: number; width: number; height: number }) {
  const zip = await zipFiles([
    { name: 'template.json', data: Buffer.from(JSON.stringify(manifest(id, box))) },
    { name: 'clip.mp4', data: readFileSync(video) },
  ]);
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'pkg.zip');
  const res = await fetch(`${t.url}/v1/templates?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

before(async () => {
  // What the user sees: a 180x320 portrait picture, blue with a red band across the top.
  // A phone stores it turned a quarter counter-clockwise (320x180, band on the left) and
  // records in the display matrix that players turn it 90° clockwise.
  const coded = path.join(root, 'coded.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=blue:s=180x320:r=10,drawbox=x=0:y=0:w=180:h=60:c=red:t=fill,transpose=cclock', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', coded]);
  // This 2018 build's mp4 muxer writes the tag's matrix turned the other way (rotate=270 is
  // stored as the phones' 90° clockwise matrix); tkhdRotation below checks the bytes.
  await ffmpeg(['-i', coded, '-c', 'copy', '-metadata:s:v:0', 'rotate=270', PORTRAIT]);
  // 650 s of real frames (2 fps, tiny) whose header claims 10 s.
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=2', '-t', '650', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', LIAR]);
  lieAboutDuration(LIAR, 10);
  mkdirSync(path.join(root, 'none'));
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'none'), KASANE_STORAGE_DIR: STORAGE } });
});

after(async () => {
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

test('a phone clip with a 90° display matrix probes as the portrait picture the user sees', async () => {
  assert.equal(tkhdRotation(PORTRAIT), 90, 'the test clip carries the phones\' portrait matrix');
  const coded = await frameRgb(PORTRAIT);
  assert.equal(coded.length, 180 * 320 * 3, 'a player shows it 180x320');
  const p = await probe(PORTRAIT);
  assert.deepEqual({ width: p.width, height: p.height, rotation: p.rotation, codedWidth: p.codedWidth, codedHeight: p.codedHeight }, { width: 180, height: 320, rotation: 90, codedWidth: 320, codedHeight: 180 });
});

test('a portrait layout on a phone clip uploads, and the prepared frames are upright portrait', async () => {
  // A box low in the portrait frame: outside a 320x180 landscape frame.
  const r = await upload('phone-clip', PORTRAIT, { x: 10, y: 250, width: 160, height: 50 });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.ok(r.body.notes.some((n: any) => n.pointer === '/video/file' && /turned 90°/.test(n.message)), JSON.stringify(r.body.notes));
  const dir = path.join(STORAGE, 'templates', 'phone-clip', r.body.version);
  const plan = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8'));
  assert.deepEqual([plan.width, plan.height], [180, 320]);
  // Every prepared segment decodes 180x320 with the red band at the top.
  for (const s of plan.segments) {
    const rgb = await frameRgb(path.join(STORAGE, s.key));
    assert.equal(rgb.length, 180 * 320 * 3, `segment ${s.index} is 180x320`);
    assert.ok(isRed(meanRgb(rgb, 180, 20, 10, 140, 40)), `segment ${s.index}: red band at the top (${meanRgb(rgb, 180, 20, 10, 140, 40)})`);
    assert.ok(isBlue(meanRgb(rgb, 180, 20, 250, 140, 60)), `segment ${s.index}: blue below (${meanRgb(rgb, 180, 20, 250, 140, 60)})`);
    assert.ok(isBlue(meanRgb(rgb, 180, 0, 100, 40, 100)), `segment ${s.index}: no band on the left`);
  }
  // The mezzanine (raw yuv420p the overlays are composited onto) is upright too: luma of red ≈ 81, of blue ≈ 41.
  const dyn = plan.segments.find((s: any) => s.kind === 'dynamic');
  assert.ok(dyn, 'the text layer makes a personalized segment');
  // Stored as lossless H.264: expanded the way a worker expands it.
  const expanded = path.join(root, 'mezz.yuv');
  await expandMezzanine(path.join(STORAGE, dyn.mezzanine), expanded);
  const yuv = readFileSync(expanded);
  assert.equal(yuv.length, dyn.frames * 180 * 320 * 1.5);
  const luma = (x: number, y: number) => yuv[y * 180 + x]!;
  assert.ok(luma(90, 20) > 70 && luma(90, 300) < 55 && luma(5, 160) < 55, `mezzanine luma top ${luma(90, 20)}, bottom ${luma(90, 300)}, left ${luma(5, 160)}`);
});

/**
 * Uploads `file` as template `id` and returns each prepared segment's first frame as a
 * browser shows it, having checked that every segment is tagged BT.709, limited range.
 */
async function preparedFramesShown(id: string, file: string): Promise<Array<{ index: number; rgb: Buffer }>> {
  const r = await upload(id, file, { x: 10, y: 10, width: 300, height: 60 });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const plan = JSON.parse(readFileSync(path.join(STORAGE, 'templates', id, r.body.version, 'plan.json'), 'utf8'));
  const frames = [];
  for (const s of plan.segments) {
    const seg = path.join(STORAGE, s.key);
    assert.deepEqual((await probe(seg)).colour, { matrix: 'bt709', primaries: 'bt709', transfer: 'bt709', range: 'tv' }, `segment ${s.index} is tagged BT.709`);
    frames.push({ index: s.index as number, rgb: await frameRgb(seg, AS_BROWSER) });
  }
  return frames;
}

test('a BT.601 source (tagged smpte170m, as SD cameras and many encoders write; or full range, as some phones record) keeps its colours, and every stream Kasane makes is tagged BT.709', async () => {
  // Brand red #E60033 and a light teal, converted to YUV with BT.601 and tagged so: limited range, and full range (yuvj).
  const scene = 'color=c=0xE60033:s=320x180:r=10,drawbox=x=0:y=90:w=320:h=90:c=0x40C0B0:t=fill,format=rgb24';
  const limited = path.join(root, 'bt601.mp4'), full = path.join(root, 'bt601-full.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', `${scene},scale=out_color_matrix=bt601:out_range=tv,format=yuv420p`, '-t', '3',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m', limited]);
  await ffmpeg(['-f', 'lavfi', '-i', `${scene},scale=out_color_matrix=bt601,format=yuvj420p`, '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-colorspace', 'bt470bg', '-color_range', 'pc', full]);
  assert.deepEqual([(await probe(limited)).colour.matrix, (await probe(full)).colour], ['smpte170m', { matrix: 'bt470bg', primaries: null, transfer: null, range: 'pc' }]);
  for (const [id, file] of [['bt601-clip', limited], ['bt601-full-clip', full]] as const) {
    for (const { index, rgb } of await preparedFramesShown(id, file)) {
      for (const [want, y] of [[[230, 0, 51], 20], [[64, 192, 176], 130]] as const) {
        const got = meanRgb(rgb, 320, 20, y, 280, 30);
        assert.ok(got.every((v, k) => Math.abs(v - want[k]!) <= 6), `${id} segment ${index}: ${got} shown where the source shows ${want}`);
      }
    }
  }
});

// The tone-mapping chain (zimg + tonemap) runs and gives 8-bit BT.709 with whites and blacks
// in place. How good the mapping looks on real HDR footage is not judged here (none offline).
test('an HDR source (10-bit BT.2020 HLG, as phones record by default) prepares through the tone mapping into 8-bit BT.709: whites stay white, blacks black', async () => {
  const file = path.join(root, 'hlg.mp4');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=white:s=320x180:r=10,drawbox=x=0:y=90:w=320:h=90:c=black:t=fill', '-t', '3', '-vf', 'scale=out_color_matrix=bt2020:out_range=tv',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', '-colorspace', 'bt2020nc', '-color_primaries', 'bt2020', '-color_trc', 'arib-std-b67', file]);
  assert.deepEqual((await probe(file)).colour, { matrix: 'bt2020nc', primaries: 'bt2020', transfer: 'arib-std-b67', range: 'tv' });
  for (const { index, rgb } of await preparedFramesShown('hlg-clip', file)) {
    const white = meanRgb(rgb, 320, 20, 20, 280, 50), black = meanRgb(rgb, 320, 20, 110, 280, 50);
    assert.ok(white.every((v) => v >= 200) && black.every((v) => v <= 30), `segment ${index}: white shown as ${white}, black as ${black}`);
  }
});

test('a video whose header understates its length is refused by what decodes, quickly, before any encoding', async () => {
  const p = await probe(LIAR);
  assert.ok(Math.abs(p.durationSec - 10) < 0.01, `the header claims ${p.durationSec} s`);
  const t0 = Date.now();
  const r = await upload('liar', LIAR, { x: 0, y: 0, width: 160, height: 90 });
  const ms = Date.now() - t0;
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 'invalid_template');
  const problems = r.body.error.problems;
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.equal(problems[0].pointer, '/video/file');
  assert.match(problems[0].message, /more than 600 s when decoded \(its header says 10\.0 s\)/);
  assert.match(problems[0].message_ja, /600 秒を超えます/);
  const versions = (await t.api('GET', '/v1/templates/liar/versions')).body.versions;
  assert.equal(versions[0].state, 'failed');
  // Nothing was encoded: no segment of any version of it exists.
  const prepared = path.join(STORAGE, 'templates', 'liar');
  const files = existsSync(prepared) ? readdirSync(prepared, { recursive: true }).map(String) : [];
  assert.deepEqual(files.filter((f) => f.endsWith('.ts') || f.endsWith('.yuv')), []);
  assert.ok(ms < 30_000, `refused in ${ms} ms`);
});
