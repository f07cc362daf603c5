// The paths around the happy one: a render that fails, a viewer jumping the
// queue, and the one-shot CLI. Uses a small template the test builds itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestService, withBrokenMezzanine, type TestService } from './helpers/service.ts';
import { checkStream } from './support/hls-checks.ts';
import { startStaticServer } from './support/static-server.ts';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-small-'));
const templates = path.join(root, 'templates');
const storage = path.join(root, 'storage');
let t: TestService;

before(async () => {
  const dir = path.join(templates, 'small');
  mkdirSync(dir, { recursive: true });
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=25', '-f', 'lavfi', '-i', 'sine=f=330:r=44100', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(dir, 'clip.mp4')]);
  // Both templates: the same clip, a name field, white 40 px text lines.
  const line = (id: string, start: number, end: number, text: string) => ({ id, type: 'text', start, end, box: { x: 40, y: 240, width: 560, height: 80 }, text, style: { fontSize: 40, color: '#ffffff' } });
  const writeTemplate = (id: string, name: string, layers: unknown[]) => {
    const d = path.join(templates, id);
    mkdirSync(d, { recursive: true });
    if (d !== dir) writeFileSync(path.join(d, 'clip.mp4'), readFileSync(path.join(dir, 'clip.mp4')));
    writeFileSync(path.join(d, 'template.json'), JSON.stringify({ id, name, video: { file: 'clip.mp4' }, encoder: { preset: 'ultrafast' }, fields: { name: { type: 'string', required: true, maxLength: 10 } }, layers }));
  };
  writeTemplate('small', 'small test template', [line('hello', 2, 4, 'こんにちは {{name}} さん')]);
  // Two personalized segments (1–2 s and 4–5 s), for the deadline-first order under load.
  writeTemplate('two', 'two personalized segments', [line('hi', 1, 2, 'こんにちは {{name}} さん'), line('bye', 4, 5, 'またね {{name}} さん')]);
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: templates, KASANE_STORAGE_DIR: storage, KASANE_RENDER_ATTEMPTS: '2', KASANE_RETRY_DELAY_MS: '100', KASANE_JIT_WAIT_MS: '1500' } });
  await t.svc.prepareBundled();
});

after(async () => {
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

async function waitState(id: string, want: string[], ms = 60_000): Promise<any> {
  const end = Date.now() + ms;
  for (;;) {
    const r = (await t.api('GET', `/v1/renders/${id}`)).body;
    if (want.includes(r.state)) return r;
    if (Date.now() > end) throw new Error(`render ${id} still ${r.state}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

test('a viewer waiting on a segment moves that render ahead of the queue', async () => {
  const ids: string[] = [];
  for (const name of ['一郎', '二郎', '三郎', '四郎']) ids.push((await t.api('POST', '/v1/renders', { template: 'small', data: { name: `${name}${Date.now() % 1000}` } })).body.id);
  const last = (await t.api('GET', `/v1/renders/${ids[3]}`)).body;
  // The viewer of the last render opens the personalized part right away.
  const seg = fetch(last.playlist_url.replace('index.m3u8', '1.ts'));
  const done = await Promise.all(ids.map((id) => waitState(id, ['done'])));
  const segRes = await seg;
  assert.equal(segRes.status, 200);
  assert.ok((await segRes.arrayBuffer()).byteLength > 0);
  const started = done.map((d) => Date.parse(d.started_at));
  assert.ok(started[3]! < started[1]! && started[3]! < started[2]!, `bumped render started 2nd: ${started.map((s) => s - started[0]!).join(', ')}`);
});

test('under load, every fresh render gets its first personalized segment before any render gets a later one', async () => {
  // Four people open their links at once: the one worker renders each render's first
  // personalized segment (the one its viewer reaches first) before anyone's second.
  // At once, as the scenario says: accepted one after another, the first job could be picked up and
  // decide on its pass before the others are queued (a render alone may encode both its segments).
  const ids: string[] = await Promise.all(['春', '夏', '秋', '冬'].map(async (name) => (await t.api('POST', '/v1/renders', { template: 'two', data: { name: `${name}${Date.now() % 1000}` } })).body.id));
  const done = await Promise.all(ids.map((id) => waitState(id, ['done'])));
  const readyAt = done.map((r) => r.segments.filter((s: any) => s.kind === 'dynamic').map((s: any) => Date.parse(s.ready_at)));
  for (const r of readyAt) assert.equal(r.length, 2);
  const lastFirst = Math.max(...readyAt.map((r) => r[0]!));
  const firstSecond = Math.min(...readyAt.map((r) => r[1]!));
  assert.ok(lastFirst <= firstSecond, `first segments ready at +${readyAt.map((r) => r[0]! - readyAt[0]![0]!).join(', ')} ms; second ones at +${readyAt.map((r) => r[1]! - readyAt[0]![0]!).join(', ')} ms`);
  // A render finished in parts plays like one finished in one pass.
  for (const r of done) {
    assert.equal(r.progress.ready, 2);
    assert.ok(r.segments.every((s: any) => !s.shared), 'nothing was shared: every segment was encoded for its own render');
  }
  const report = await checkStream(done[3].playlist_url);
  assert.deepEqual(report.failures, []);
});

test('a failing render retries, reports why without personal data, and viewers still get a whole video', async () => {
  const name = '失敗太郎';
  const r = (await t.api('POST', '/v1/renders', { template: 'small', data: { name }, mode: 'lazy' })).body;
  // With this version's mezzanine broken, every attempt's ffmpeg run fails.
  await withBrokenMezzanine('small', r.version, async () => {
    assert.equal((await fetch(r.playlist_url)).status, 200); // starts the lazy render
    const st = await waitState(r.id, ['failed']);
    assert.equal(st.attempts, 2);
    assert.ok(st.error && st.error.length > 0);
    assert.ok(!st.error.includes(name));
    assert.ok(st.segments.some((s: any) => s.state === 'failed'));
    const report = await checkStream(r.playlist_url);
    assert.deepEqual(report.failures, [], 'the un-personalized fallback still plays cleanly');
  }, storage);
});

test('kasane render writes a playable personalized HLS folder without Redis or HTTP', async () => {
  const out = path.join(root, 'cli-out');
  const data = path.join(root, 'data.json');
  writeFileSync(data, JSON.stringify({ name: '佐藤' }));
  const run = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'render', '--template', path.join(templates, 'small'), '--data', data, '--out', out, '--cache', storage], { encoding: 'utf8', env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' } });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /segment 1: rendered/);
  const server = await startStaticServer(out);
  try {
    const report = await checkStream(`${server.origin}/index.m3u8`);
    assert.deepEqual(report.failures, []);
  } finally {
    await server.close();
  }
  writeFileSync(data, JSON.stringify({ name: 'x'.repeat(50) }));
  const bad = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'render', '--template', path.join(templates, 'small'), '--data', data, '--out', out, '--cache', storage], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /\/data\/name: must be at most 10 characters/);
});

test('a 29.97 fps base video keeps exact NTSC timing through preparation and splicing', async () => {
  const dir = path.join(root, 'ntsc');
  mkdirSync(dir, { recursive: true });
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=30000/1001', '-f', 'lavfi', '-i', 'sine=f=500:r=48000', '-t', '5', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(dir, 'v.mp4')]);
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id: 'ntsc', name: 'ntsc', video: { file: 'v.mp4' }, encoder: { preset: 'ultrafast' },
    fields: { name: { type: 'string', required: true, maxLength: 10, example: '鈴木' } },
    layers: [{ id: 'n', type: 'text', start: 1.5, end: 3.2, box: { x: 10, y: 10, width: 300, height: 60 }, text: '{{name}}', style: { fontSize: 36, color: '#fff' } }],
  }));
  const out = path.join(root, 'ntsc-out');
  const run = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'render', '--template', dir, '--out', out, '--cache', storage], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const playlist = readFileSync(path.join(out, 'index.m3u8'), 'utf8');
  const durations = [...playlist.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
  // Every segment is a whole number of 1001/30000 s frames.
  for (const d of durations) assert.ok(Math.abs(Math.round((d * 30000) / 1001) - (d * 30000) / 1001) < 1e-3, `EXTINF ${d}`);
  const server = await startStaticServer(out);
  try {
    const report = await checkStream(`${server.origin}/index.m3u8`);
    assert.deepEqual(report.failures, []);
    assert.equal(report.frameDuration, 3003);
  } finally {
    await server.close();
  }
});
