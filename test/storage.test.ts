// The one storage interface, against both implementations: local disk and a real
// S3-compatible server. Plus the machine-local cache (budget, pins) and the
// lossless mezzanine copy (expanded bytes equal the original raw frames).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, storageSettings } from '../src/config/index.ts';
import { openStorage } from '../src/storage/open-storage.ts';
import { FileCache } from '../src/storage/cache.ts';
import type { Storage } from '../src/storage/storage.ts';
import { compressMezzanine, expandMezzanine, rawMezzanine } from '../src/video/mezzanine.ts';
import { runFfmpeg } from './support/ffmpeg-run.ts';
import { startS3, type TestS3 } from './support/s3.ts';

let s3: TestS3;
const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-storage-test-'));

before(async () => {
  s3 = await startS3();
});
after(async () => {
  await s3.close();
  rmSync(root, { recursive: true, force: true });
});

function storageFor(kind: 'local' | 's3'): Storage {
  const env = { KASANE_VAR_DIR: path.join(root, `var-${kind}`), ...(kind === 's3' ? s3.env(`t${Date.now()}`) : {}), KASANE_SIGNING_KEYS: 'k1:storage-test-0123456789abcdef', KASANE_CONTENT_SECRET: 'storage-test-0123456789abcdef', KASANE_API_KEYS: 'storage-test-0123456789' };
  return openStorage(loadConfig(env));
}

for (const kind of ['local', 's3'] as const) {
  test(`${kind}: put, get, head, ranges, download, list, delete; a missing key is null`, async () => {
    const st = storageFor(kind);
    await st.ping();
    const body = Buffer.from('0123456789abcdefghij');
    await st.put('templates/a/v1/seg/0.ts', body);
    await st.put('templates/a/v1/seg/1.ts', Buffer.from('x'));
    await st.put('templates/ab/v1/seg/0.ts', Buffer.from('y'));
    assert.deepEqual(await st.get('templates/a/v1/seg/0.ts'), body);
    assert.equal(await st.get('templates/a/v1/seg/9.ts'), null);
    assert.equal(await st.head('nope/x'), null);
    assert.equal(await st.open('nope/x'), null);
    const h = await st.head('templates/a/v1/seg/0.ts');
    assert.equal(h?.size, 20);
    assert.ok(h!.mtime.getTime() > Date.now() - 60_000, 'mtime is when it was written');
    const obj = (await st.open('templates/a/v1/seg/0.ts'))!;
    assert.equal(await text(obj.stream({ start: 3, end: 7 })), '34567', 'a range is start..end inclusive');
    assert.equal(await text(obj.stream()), body.toString());
    const out = path.join(root, `${kind}-dl`);
    assert.equal(await st.download('templates/a/v1/seg/0.ts', out), true);
    assert.deepEqual(readFileSync(out), body);
    assert.equal(await st.download('templates/a/v1/seg/7.ts', out + '2'), false);
    const keys: string[] = [];
    for await (const k of st.list('templates/a/')) keys.push(k);
    assert.deepEqual(keys.sort(), ['templates/a/v1/seg/0.ts', 'templates/a/v1/seg/1.ts'], 'list stays inside its prefix');
    // A file larger than one multipart part (5 MiB) goes up in parts and comes back whole.
    const big = Buffer.alloc(6 * 2 ** 20 + 123, 7);
    big.write('end', big.length - 3);
    const file = path.join(root, `${kind}-big`);
    writeFileSync(file, big);
    await st.putFile('big/file.bin', file);
    assert.equal(existsSync(file), false, 'putFile takes the file');
    assert.equal((await st.head('big/file.bin'))?.size, big.length);
    assert.equal(await text((await st.open('big/file.bin'))!.stream({ start: big.length - 3, end: big.length - 1 })), 'end');
    await st.delete('templates/a/v1/seg/0.ts');
    assert.equal(await st.head('templates/a/v1/seg/0.ts'), null);
    await assert.rejects(st.put('../escape', body), /invalid storage key/);
  });
}

test('s3: an unreachable bucket fails ping with the S3 error, and no credential appears in it', async () => {
  const env = { ...s3.env(), KASANE_STORAGE: 's3://no-such-bucket/x', KASANE_VAR_DIR: path.join(root, 'var-nb'), KASANE_SIGNING_KEYS: 'k1:storage-test-0123456789abcdef', KASANE_CONTENT_SECRET: 'storage-test-0123456789abcdef', KASANE_API_KEYS: 'storage-test-0123456789' };
  const st = openStorage(loadConfig(env));
  const err = await st.ping().then(() => null, (e: Error) => e);
  assert.ok(err, 'ping fails');
  assert.match(err.message, /HTTP 404/);
  assert.doesNotMatch(err.message, /S3RVER/);
});

test('cache: least recently used files go first when over budget; a pinned file is never evicted', async () => {
  const cache = new FileCache({ dir: path.join(root, 'cache'), maxBytes: 2500 });
  const fill = (n: number) => async (tmp: string) => writeFileSync(tmp, Buffer.alloc(n));
  const a = await cache.use('a', '.bin', fill(1000));
  a.release();
  const b = await cache.use('b', '.bin', fill(1000)); // pinned below
  await new Promise((r) => setTimeout(r, 20));
  (await cache.use('a', '.bin', fill(1000))).release(); // a used again: now b is the least recent
  await new Promise((r) => setTimeout(r, 20));
  const c = await cache.use('c', '.bin', fill(1000));
  c.release();
  await cache.evict();
  // Over budget (3000 > 2500): b is least recently used but pinned, so a goes.
  assert.equal(existsSync(b.path), true, 'pinned file kept');
  assert.equal(existsSync(a.path), false, 'least recently used unpinned file evicted');
  assert.equal(existsSync(c.path), true);
  b.release();
  await new Promise((r) => setTimeout(r, 20));
  (await cache.use('d', '.bin', fill(1000))).release();
  await cache.evict();
  assert.equal(existsSync(b.path), false, 'evicted once released');
  assert.ok((await cache.size()) <= 2500);
});

test('mezzanine: the stored lossless copy is small and expands to exactly the original raw frames, from S3 into the cache', async () => {
  const v = { width: 320, height: 180, fps: { num: 25, den: 1 }, frames: 25 };
  const raw = path.join(root, 'm.yuv');
  await runFfmpeg(['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=s=320x180:r=25`, '-frames:v', '25', '-pix_fmt', 'yuv420p', '-f', 'rawvideo', '-y', raw]);
  const original = readFileSync(raw);
  assert.equal(original.length, 25 * 320 * 180 * 1.5);
  const compact = path.join(root, 'm.mkv');
  await compressMezzanine(raw, compact, v);
  assert.ok(statSync(compact).size < original.length / 4, `compact copy ${statSync(compact).size} bytes of ${original.length}`);
  const local = path.join(root, 'back.yuv');
  await expandMezzanine(compact, local);
  assert.ok(readFileSync(local).equals(original), 'expanded bytes equal the original raw frames');
  const st = storageFor('s3');
  await st.putFile('templates/t/v1/mezz/1.mkv', compact);
  const m = await rawMezzanine(st, 'templates/t/v1/mezz/1.mkv', v);
  assert.ok(readFileSync(m.path).equals(original), 'expanded from S3 into the cache, bit-exact');
  m.release();
  const again = await rawMezzanine(st, 'templates/t/v1/mezz/1.mkv', v);
  assert.equal(again.path, m.path, 'second use is a cache hit');
  again.release();
  await assert.rejects(rawMezzanine(st, 'templates/t/v1/mezz/1.mkv', { ...v, frames: 24 }), /expected/);
});

test('config: KASANE_STORAGE is a folder or s3://bucket/prefix; a mistake names the variable, never a secret', () => {
  assert.deepEqual(storageSettings({}, '/v'), { kind: 'local', dir: '/v/storage' });
  assert.deepEqual(storageSettings({ KASANE_STORAGE: '/data/k' }, '/v'), { kind: 'local', dir: '/data/k' });
  const s = storageSettings({ KASANE_STORAGE: 's3://my-bucket/a/b/', KASANE_S3_ENDPOINT: 'http://minio:9000', KASANE_S3_FORCE_PATH_STYLE: '1' }, '/v');
  assert.deepEqual(s, { kind: 's3', bucket: 'my-bucket', prefix: 'a/b', endpoint: 'http://minio:9000', region: 'us-east-1', forcePathStyle: true, credentials: undefined });
  assert.throws(() => storageSettings({ KASANE_STORAGE: 'ftp://host/x' }, '/v'), /KASANE_STORAGE must be a folder or s3:\/\/bucket\/prefix/);
  assert.throws(() => storageSettings({ KASANE_STORAGE: 's3://Bad_Bucket' }, '/v'), /KASANE_STORAGE/);
  assert.throws(() => storageSettings({ KASANE_STORAGE: 's3://ok-bucket/a b' }, '/v'), /prefix "a b"/);
  const err = (() => {
    try {
      storageSettings({ KASANE_STORAGE: 's3://ok-bucket', KASANE_S3_ACCESS_KEY_ID: 'AKIASECRETVALUE' }, '/v');
    } catch (e) {
      return e as Error;
    }
  })();
  assert.match(err!.message, /KASANE_S3_ACCESS_KEY_ID and KASANE_S3_SECRET_ACCESS_KEY must be set together/);
  assert.doesNotMatch(err!.message, /AKIASECRETVALUE/);
});
