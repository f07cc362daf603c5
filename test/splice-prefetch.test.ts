// A render's storage round trips stay off its critical path: the template segments
// the personal ones are spliced into are fetched when the pass starts, while ffmpeg
// encodes, not one by one after each segment is cut (on S3 each is a GET, and the last
// one used to be waited on after the encode; bench/README.md "Issue 11: storage"), and
// whether this person's segments already exist is asked for all of them at once.
// Real prepare, ffmpeg and splice on local storage, its reads recorded in order.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { prepareTemplate } from '../src/templates/prepare.ts';
import { drawContext, renderPersonalSegments, resolveInputs, segmentKeys } from '../src/render/personalize.ts';
import { loadConfig } from '../src/config/index.ts';
import { solidPng } from './support/pixels.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-prefetch-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Local storage that logs every get() of a key, in call order, next to the render's own events. */
class RecordingStorage extends LocalStorage {
  events: string[] = [];
  override async get(key: string): Promise<Buffer | null> {
    this.events.push(`get ${key}`);
    return super.get(key);
  }
  override async head(key: string): Promise<{ size: number; mtime: Date } | null> {
    this.events.push(`head ${key}`);
    const h = await super.head(key);
    this.events.push(`headed ${key}`);
    return h;
  }
}

test('the personal segments are looked up at once, and every template segment to splice into is requested before the first personal segment is done', async () => {
  const dir = path.join(root, 'pkg');
  const box = { x: 8, y: 8, width: 48, height: 32 };
  mkdirSync(dir, { recursive: true });
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'color=c=0x808080:s=160x90:r=25', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path.join(dir, 'base.mp4')], { timeoutMs: 60_000 });
  writeFileSync(path.join(dir, 'red.png'), solidPng(box.width, box.height, '#ff0000'));
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id: 'prefetch',
    name: 'prefetch',
    video: { file: 'base.mp4' },
    encoder: { preset: 'ultrafast' },
    fields: {},
    // Two personalized segments with a shared one between them: one pass, two splices.
    layers: [
      { id: 'a', type: 'image', file: 'red.png', start: 0.4, end: 0.8, box },
      { id: 'b', type: 'image', file: 'red.png', start: 2.0, end: 2.4, box },
    ],
  }));
  const storage = new RecordingStorage(path.join(root, 'storage'));
  const plan = await prepareTemplate(dir, storage, { log: () => {} });
  const dynamic = plan.segments.filter((s) => s.kind === 'dynamic');
  assert.equal(dynamic.length, 2, 'two personalized segments');
  const keys = segmentKeys(plan, resolveInputs(plan, {}), Buffer.from('test'));
  storage.events = [];
  const { done } = await renderPersonalSegments(plan, {}, keys, storage, drawContext(plan, storage, loadConfig().imageFetch), {
    onSegment: (d) => void storage.events.push(`done ${d.index}`),
  });
  assert.deepEqual(done.map((d) => [d.index, d.reused]), dynamic.map((s) => [s.index, false]), 'both segments rendered');
  // Looked up side by side (one round trip on S3, not one per segment): every lookup asked before any answered.
  const lookups = dynamic.map((seg) => storage.events.indexOf(`head ${keys[seg.index]}`));
  const answers = dynamic.map((seg) => storage.events.indexOf(`headed ${keys[seg.index]}`));
  assert.ok(Math.max(...lookups) < Math.min(...answers), `personal segments looked up at once: ${storage.events.join(' | ')}`);
  const firstDone = storage.events.indexOf(`done ${dynamic[0]!.index}`);
  for (const seg of dynamic) {
    const at = storage.events.indexOf(`get ${seg.key}`);
    assert.ok(at >= 0 && at < firstDone, `template segment ${seg.index} requested before the first personal segment is done: ${storage.events.join(' | ')}`);
  }
});
