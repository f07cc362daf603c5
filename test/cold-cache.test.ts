// A worker whose machine-local cache has never seen a template (a new machine, or after
// eviction) renders straight from the stored lossless mezzanine, decoding it in the
// render's own ffmpeg instead of expanding every segment first; the frames are the same,
// so the personal segments are byte for byte what a warm worker makes, fades and slides
// included at 29.97 fps (Matroska's millisecond timestamps must not move them). The
// mezzanine is expanded afterwards for the next render.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { startTestService, type TestService } from './helpers/service.ts';
import { freePort, waitFor } from './support/net.ts';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-cold-cache-'));
const STORAGE = path.join(root, 'storage');
const WARM = path.join(root, 'cache-warm');
const COLD = path.join(root, 'cache-cold');
let t: TestService;

before(async () => {
  const dir = path.join(root, 'templates', 'cold-ntsc');
  mkdirSync(dir, { recursive: true });
  await runFfmpeg(['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=30000/1001', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path.join(dir, 'clip.mp4')]);
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id: 'cold-ntsc', name: 'cold-ntsc', video: { file: 'clip.mp4' }, encoder: { preset: 'ultrafast' },
    fields: { name: { type: 'string', required: true, maxLength: 10 } },
    // Faded and slid in and out: every timing expression is exercised.
    layers: [{ id: 'hi', type: 'text', start: 0.3, end: 2.7, box: { x: 10, y: 60, width: 300, height: 60 }, text: '{{name}}様',
      style: { fontSize: 26, color: '#ffffff', background: { color: '#d0204080', radius: 8 } },
      fade: { in: 0.4, out: 0.4 }, slide: { in: { from: 'left', duration: 0.5 }, out: { to: 'bottom', duration: 0.5 } } }],
  }));
  t = await startTestService({ worker: false, env: { KASANE_TEMPLATES_DIR: path.join(root, 'templates'), KASANE_STORAGE_DIR: STORAGE, KASANE_CACHE_DIR: WARM } });
});

after(async () => {
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A worker process with its own cache folder and metrics port. */
function worker(cache: string, metricsPort: number): ChildProcess {
  return spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'worker'], {
    env: { ...t.env, KASANE_CACHE_DIR: cache, KASANE_METRICS_PORT: String(metricsPort) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function stop(w: ChildProcess): Promise<void> {
  const gone = new Promise((r) => w.once('exit', r));
  w.kill('SIGTERM');
  await gone;
}

/** The render's personal segments (the playlist's /v/<token>/<n>.ts entries), in order. */
async function personalSegments(playerUrl: string): Promise<Buffer[]> {
  const m3u8 = await (await fetch(`${playerUrl}index.m3u8`)).text();
  const uris = m3u8.split('\n').filter((l) => /^\d+\.ts/.test(l));
  assert.ok(uris.length >= 1, `personalized segments: ${m3u8}`);
  return Promise.all(uris.map(async (u) => {
    const res = await fetch(new URL(u, playerUrl));
    assert.equal(res.status, 200, u);
    return Buffer.from(await res.arrayBuffer());
  }));
}

const yuvFiles = (cache: string) => (existsSync(path.join(cache, 'files')) ? readdirSync(path.join(cache, 'files')).filter((f) => f.endsWith('.yuv')) : []);

async function coldReads(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^kasane_mezzanine_cold_reads_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? NaN);
}

test('a worker with a cold cache renders from the stored mezzanine: the same bytes as a warm one, and it expands the mezzanine afterwards', async () => {
  // Warm: the worker that prepares the template has the raw frames in its cache already.
  const warmPort = await freePort();
  let w = worker(WARM, warmPort);
  let warm: Buffer[];
  const data = { template: 'cold-ntsc', data: { name: '冷泉' } };
  let r;
  try {
    await t.svc.prepareBundled();
    assert.ok(yuvFiles(WARM).length >= 1, 'preparation left the raw frames in the preparing machine\'s cache');
    r = (await t.api('POST', '/v1/renders', data)).body;
    await t.waitState(r.id, ['done'], 60_000);
    warm = await personalSegments(r.player_url);
    assert.equal(await coldReads(warmPort), 0, 'the warm worker read raw frames');
  } finally {
    await stop(w);
  }
  // The same person again, on a machine that has never seen the template (segments deleted first, so they are encoded again).
  assert.equal((await t.api('DELETE', `/v1/renders/${r.id}`)).status, 200);
  const coldPort = await freePort();
  w = worker(COLD, coldPort);
  try {
    assert.deepEqual(yuvFiles(COLD), []);
    r = (await t.api('POST', '/v1/renders', data)).body;
    await t.waitState(r.id, ['done'], 60_000);
    assert.equal(await coldReads(coldPort), warm.length, 'each personalized segment was read from the stored copy');
    const cold = await personalSegments(r.player_url);
    assert.equal(cold.length, warm.length);
    cold.forEach((b, i) => assert.ok(b.equals(warm[i]!), `personal segment ${i}: ${b.length} bytes cold vs ${warm[i]!.length} warm, not identical`));
    await waitFor(async () => yuvFiles(COLD).length >= warm.length, 20_000);
  } finally {
    await stop(w);
  }
});
