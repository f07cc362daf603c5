// Deletion on request and retention (issue 11 §3): a render for a person is made and
// viewed (poster, og, GIF, captions, MP4, watch page, a beacon, a webhook message), then
// DELETEd; every Redis key and every stored byte is scanned for the person's name,
// amount and external_id: nothing. Its links answer 410. Segments shared with another
// person's live render stay until that render goes too. The sweep deletes an expired render.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { startTestService, connectTestRedis, type TestService } from './helpers/service.ts';
import { writeTinyTemplate } from './helpers/tiny-template.ts';
import { LocalStorage } from '../src/storage/local.ts';
import { DUE } from '../src/render/render-index.ts';
import { indexExistingRenders } from '../src/retention/reindex.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-deletion-'));
const templates = path.join(root, 'templates');
// Its own storage: every stored byte of this service is scanned, and it holds only this test's.
const storageDir = path.join(root, 'storage');
const TPL = 'deletion-tiny';
let t: TestService;
let redis: Redis;
let storage: LocalStorage;

before(async () => {
  await writeTinyTemplate(templates, {
    id: TPL,
    name: 'deletion',
    fields: { name: { type: 'string', required: true, maxLength: 20, example: '山田' }, amount: { type: 'integer', required: true } },
    seconds: 3,
  });
  t = await startTestService({
    env: {
      KASANE_TEMPLATES_DIR: templates,
      KASANE_STORAGE_DIR: storageDir,
      KASANE_RETENTION_SWEEP_MS: '200',
      KASANE_RETENTION_GRACE_HOURS: '0',
      KASANE_EVENT_ALLOW_PRIVATE: '1',
    },
  });
  await t.svc.prepareBundled();
  redis = connectTestRedis(t.varDir);
  storage = new LocalStorage(storageDir);
});

after(async () => {
  redis?.disconnect();
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The ways a string can sit in stored bytes: raw UTF-8, JSON \u escapes (either case), URL-encoded (either case). */
function needles(s: string): Buffer[] {
  const json = [...s].map((c) => (c.charCodeAt(0) > 127 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
  const url = encodeURIComponent(s);
  return [...new Set([s, json, json.toUpperCase().replace(/\\U/g, '\\u'), url, url.toLowerCase().replace(/%([0-9a-f]{2})/g, '%$1')])].map((x) => Buffer.from(x));
}

/** Every Redis key (its name and its whole value, whatever the type) holding one of `find`. */
async function redisHits(find: Buffer[]): Promise<string[]> {
  const hits: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'COUNT', 500);
    cursor = String(next);
    for (const k of keys) {
      const type = await redis.type(k);
      const parts: Buffer[] = [k];
      if (type === 'string') parts.push((await redis.getBuffer(k)) ?? Buffer.alloc(0));
      else if (type === 'hash') parts.push(...Object.entries(await redis.hgetallBuffer(k)).flatMap(([f, v]) => [Buffer.from(f), v]));
      else if (type === 'list') parts.push(...(await redis.lrangeBuffer(k, 0, -1)));
      else if (type === 'set') parts.push(...(await redis.smembersBuffer(k)));
      else if (type === 'zset') parts.push(...(await redis.zrangeBuffer(k, 0, -1)));
      else if (type === 'stream') parts.push(...((await redis.xrangeBuffer(k, '-', '+')) as unknown as [Buffer, Buffer[]][]).flatMap(([, f]) => f));
      else if (type === 'none') continue; // expired between SCAN and TYPE
      else assert.fail(`unexpected Redis type ${type}`);
      const all = Buffer.concat(parts);
      if (find.some((n) => all.includes(n))) hits.push(`${type} ${k.toString()}`);
    }
  } while (cursor !== '0');
  return hits;
}

/** Every stored object (Storage.list) holding one of `find`. */
async function storageHits(find: Buffer[]): Promise<string[]> {
  const hits: string[] = [];
  for await (const key of storage.list('')) {
    const b = (await storage.get(key))!;
    if (find.some((n) => b.includes(n))) hits.push(key);
  }
  return hits;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of storage.list(prefix)) out.push(k);
  return out.sort();
}

async function accept(data: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const r = await t.api('POST', '/v1/renders', { template: TPL, data, mode: 'eager', ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await t.waitState(r.body.id, ['done']);
  return r.body as { id: string; playlist_url: string; player_url: string; mp4_url: string; poster_url: string; version: string; expires_at: string };
}

const status = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res.status;
};

/** The person's segment URLs, from their playlist. */
async function segmentUrls(playlistUrl: string): Promise<string[]> {
  const text = await (await fetch(playlistUrl)).text();
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => new URL(l, playlistUrl).href);
}

test('DELETE removes every trace of the person from Redis and storage; the links answer 410', async () => {
  const n = randomInt(10_000, 99_999);
  const name = `削除太郎${n}`;
  const amount = 9876543;
  const externalId = `taro${n}@example.jp`;
  const find = [...needles(name), ...needles(externalId), Buffer.from(String(amount)), Buffer.from('9,876,543')];

  // Something outbound about the render (its body names external_id): a webhook endpoint that never answers.
  const ep = await t.api('POST', '/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hook', events: ['render.ready', 'video.started'] });
  assert.equal(ep.status, 201, JSON.stringify(ep.body));

  const r = await accept({ name, amount }, { external_id: externalId });
  const token = new URL(r.playlist_url).pathname.split('/')[2]!;
  const base = `${t.url}/v/${token}`;
  // Everything a viewer can make the service store or record.
  for (const u of [`${base}/poster.jpg`, `${base}/poster.jpg?play=1`, `${base}/og.jpg`, `${base}/preview.gif`, `${base}/captions.vtt`, `${base}/video.mp4`, `${base}/overlays.json`, `${base}/layers/0.png`, `${base}/base.m3u8`, `${base}/`]) assert.equal(await status(u), 200, u);
  const segs = await segmentUrls(r.playlist_url);
  for (const u of segs) assert.equal(await status(u), 200, u);
  assert.equal(await status(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'video.started' }) }), 204);
  const listed = await t.api('GET', `/v1/renders?external_id=${encodeURIComponent(externalId)}`);
  assert.deepEqual(listed.body.items.map((i: { id: string }) => i.id), [r.id]);

  // The scan finds the person before: it can fail.
  assert.ok((await redisHits(find)).length > 0, 'the person is in Redis before deletion');
  assert.ok((await keysUnder(`templates/${TPL}/${r.version}/p/`)).length > 0);
  assert.ok((await keysUnder(`templates/${TPL}/${r.version}/img/`)).length >= 4, 'poster, play, og and GIF are stored');
  assert.equal((await keysUnder('mp4/')).length, 1);

  assert.equal((await t.api('DELETE', `/v1/renders/${r.id}`, undefined, { authorization: '' })).status, 401);
  const t0 = performance.now();
  const del = await t.api('DELETE', `/v1/renders/${r.id}`);
  console.log(`# DELETE /v1/renders/:id ${(performance.now() - t0).toFixed(0)} ms: ${JSON.stringify(del.body.deleted)}`);
  assert.equal(del.status, 200, JSON.stringify(del.body));
  assert.equal(del.body.id, r.id);
  assert.ok(del.body.deleted.objects >= 1 + 4 + 1, JSON.stringify(del.body)); // personal segments, 4 images, the MP4
  assert.equal(del.body.deleted.shared_objects_kept, 0);
  assert.ok(del.body.deleted.jobs >= 1);
  assert.ok(del.body.deleted.webhook_messages >= 1, JSON.stringify(del.body));

  assert.deepEqual(await redisHits(find), [], 'nothing of the person in Redis');
  assert.deepEqual(await storageHits(find), [], 'nothing of the person in storage');
  assert.deepEqual(await keysUnder(`templates/${TPL}/${r.version}/p/`), []);
  assert.deepEqual(await keysUnder(`templates/${TPL}/${r.version}/img/`), []);
  assert.deepEqual(await keysUnder('mp4/'), []);

  for (const u of [r.playlist_url, ...segs.filter((s) => s.includes('/v/')), `${base}/poster.jpg`, `${base}/og.jpg`, `${base}/preview.gif`, `${base}/captions.vtt`, `${base}/video.mp4`, `${base}/overlays.json`, `${base}/layers/0.png`, `${base}/`]) {
    assert.equal(await status(u), 410, u);
  }
  const gone = await t.api('GET', `/v1/renders/${r.id}`);
  assert.equal(gone.status, 410);
  assert.equal(gone.body.error.code, 'render_deleted');
  assert.deepEqual((await t.api('GET', `/v1/renders?external_id=${encodeURIComponent(externalId)}`)).body.items, []);

  // Idempotent: again → 200 with nothing deleted; an unknown id → 404.
  const again = await t.api('DELETE', `/v1/renders/${r.id}`);
  assert.equal(again.status, 200);
  assert.deepEqual(again.body.deleted, { redis_keys: 0, objects: 0, shared_objects_kept: 0, jobs: 0, webhook_messages: 0 });
  assert.equal((await t.api('DELETE', '/v1/renders/rNoSuchRender000000000000')).status, 404);
  await t.api('DELETE', `/v1/webhook-endpoints/${ep.body.id}`);
});

test('segments shared with another live render are kept until the last one is deleted (reference counts)', async () => {
  const n = randomInt(10_000, 99_999);
  const data = { name: `共有花子${n}`, amount: 1234 };
  // The same data for two people (two external_ids): one encode, shared.
  const a = await accept(data, { external_id: `a${n}` });
  const b = await accept(data, { external_id: `b${n}` });
  assert.notEqual(a.id, b.id);
  const personal = await keysUnder(`templates/${TPL}/${a.version}/p/`);
  assert.ok(personal.length > 0);
  for (const u of [a.mp4_url, b.mp4_url, a.poster_url, b.poster_url]) assert.equal(await status(u), 200);

  const delA = await t.api('DELETE', `/v1/renders?external_id=a${n}`);
  assert.equal(delA.status, 200, JSON.stringify(delA.body));
  assert.deepEqual(delA.body.renders, [a.id]);
  assert.equal(delA.body.deleted.objects, 0, 'everything A used is B\'s too');
  assert.ok(delA.body.deleted.shared_objects_kept >= personal.length + 2);
  assert.deepEqual(await keysUnder(`templates/${TPL}/${a.version}/p/`), personal);
  assert.equal(await status(a.playlist_url), 410);
  // B plays on, every segment and its MP4 and poster.
  for (const u of [...(await segmentUrls(b.playlist_url)), b.mp4_url, b.poster_url]) assert.equal(await status(u), 200, u);

  const delB = await t.api('DELETE', `/v1/renders?external_id=b${n}`);
  assert.equal(delB.status, 200);
  assert.ok(delB.body.deleted.objects >= personal.length + 2);
  assert.deepEqual(await keysUnder(`templates/${TPL}/${a.version}/p/`), []);
  assert.deepEqual(await keysUnder('mp4/'), []);
  // No external_id left with renders: 200, nothing.
  const none = await t.api('DELETE', `/v1/renders?external_id=b${n}`);
  assert.deepEqual(none.body, { renders: [], deleted: { redis_keys: 0, objects: 0, shared_objects_kept: 0, jobs: 0, webhook_messages: 0 } });
  const bad = await t.api('DELETE', '/v1/renders');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.problems[0].pointer, 'query:external_id');
});

test('a render deleted while queued or rendering leaves nothing behind: its job is cancelled or waited for', async () => {
  const n = randomInt(10_000, 99_999);
  const before = await keysUnder(`templates/${TPL}/`);
  const r = await t.api('POST', '/v1/renders', { template: TPL, data: { name: `途中${n}`, amount: 5150 }, mode: 'eager' });
  assert.equal(r.status, 201);
  const del = await t.api('DELETE', `/v1/renders/${r.body.id}`);
  assert.equal(del.status, 200, JSON.stringify(del.body));
  assert.equal(del.body.deleted.jobs, 1);
  // Whatever the worker was doing, nothing of this render appears afterwards.
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(await redis.exists(`kasane:render:${r.body.id}`), 0);
  assert.equal(await redis.exists(`bull:kasane-render:${r.body.id}`), 0);
  assert.deepEqual(await keysUnder(`templates/${TPL}/`), before);
  assert.deepEqual(await redisHits(needles(`途中${n}`)), []);
});

test('renders accepted before the index are indexed once, then found by external_id and deleted whole', async () => {
  const n = randomInt(10_000, 99_999);
  const r = await accept({ name: `旧式${n}`, amount: 7070 }, { external_id: `old${n}` });
  // What a render from before this version looks like: its record only, no index keys.
  const idxKeys = (await redis.keys(`kasane:*${r.id}*`)).filter((k) => k !== `kasane:render:${r.id}`);
  await redis.del(...idxKeys);
  for (const k of await redis.keys('kasane:refs:*')) await redis.srem(k, r.id);
  for (const k of await redis.keys('kasane:renders:xid:*')) await redis.srem(k, r.id);
  for (const k of [DUE, ...(await redis.keys('kasane:renders:recent*'))]) await redis.zrem(k, r.id);
  assert.deepEqual((await t.api('GET', `/v1/renders?external_id=old${n}`)).body.items, []);
  assert.equal(await indexExistingRenders(redis, Buffer.from('test-content-secret-0123456789'), 0, { force: true }), 1);
  assert.equal(Number(await redis.zscore(DUE, r.id)), Date.parse(r.expires_at) / 1000);
  const del = await t.api('DELETE', `/v1/renders?external_id=old${n}`);
  assert.deepEqual(del.body.renders, [r.id]);
  assert.ok(del.body.deleted.objects >= 1);
  assert.deepEqual(await keysUnder(`templates/${TPL}/${r.version}/p/`), []);
  assert.deepEqual(await redisHits(needles(`旧式${n}`)), []);
});

test('the sweep deletes a render once its link expired and the grace period passed', async () => {
  const n = randomInt(10_000, 99_999);
  const r = await accept({ name: `期限${n}`, amount: 4242 }, { expires_in: 60 });
  const expiresAt = Date.parse(r.expires_at) / 1000;
  // Due at expires_at + KASANE_RETENTION_GRACE_HOURS (0 here).
  assert.equal(Number(await redis.zscore(DUE, r.id)), expiresAt);
  assert.ok((await keysUnder(`templates/${TPL}/${r.version}/p/`)).length > 0);
  // A minute is long for a test: the clock moves instead (the render is made due now).
  await redis.zadd(DUE, Math.floor(Date.now() / 1000) - 1, r.id);
  for (const end = Date.now() + 10_000; (await t.api('GET', `/v1/renders/${r.id}`)).status !== 404; ) {
    assert.ok(Date.now() < end, 'swept within 10 s (the sweep runs every 200 ms)');
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.deepEqual(await keysUnder(`templates/${TPL}/${r.version}/p/`), []);
  assert.equal(await redis.zscore(DUE, r.id), null);
  assert.deepEqual(await redisHits(needles(`期限${n}`)), []);
});

test('the sweep deletes campaign CSV files once their batch record has expired', async () => {
  // Files of a batch whose record is gone (expired after 7 days), and of one uploaded just now.
  const old = path.join(storageDir, 'batches', 'b_expiredBatch0001');
  const fresh = path.join(storageDir, 'batches', 'b_justUploaded0001');
  for (const dir of [old, fresh]) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'input.csv'), 'name,amount\n削除次郎,9876543\n');
  }
  const weekAgo = new Date(Date.now() - 8 * 24 * 3600_000);
  utimesSync(path.join(old, 'input.csv'), weekAgo, weekAgo);
  for (const end = Date.now() + 10_000; existsSync(path.join(old, 'input.csv')); ) {
    assert.ok(Date.now() < end, 'swept within 10 s');
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(existsSync(path.join(fresh, 'input.csv')), 'a file younger than an hour stays (its record may be being written)');
});

test('GET /v1/renders lists recent renders newest first, filters and pages', async () => {
  const n = randomInt(10_000, 99_999);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await t.api('POST', '/v1/renders', { template: TPL, data: { name: `一覧${n}`, amount: i }, mode: 'lazy', external_id: `list${n}` });
    assert.equal(r.status, 201);
    ids.unshift(r.body.id);
  }
  const first = await t.api('GET', `/v1/renders?template=${TPL}&state=lazy&limit=2`);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(first.body.items.map((i: { id: string }) => i.id), ids.slice(0, 2));
  assert.deepEqual(Object.keys(first.body.items[0]).sort(), ['created_at', 'error', 'expires_at', 'external_id', 'id', 'mode', 'mp4_url', 'playlist_url', 'player_url', 'poster_url', 'progress', 'state', 'status_url', 'template', 'version'].sort());
  assert.deepEqual(first.body.items[0].progress, { ready: 0, total: 1 });
  const second = await t.api('GET', `/v1/renders?template=${TPL}&state=lazy&limit=2&cursor=${first.body.next_cursor}`);
  assert.equal(second.body.items[0].id, ids[2]);
  const byPerson = await t.api('GET', `/v1/renders?external_id=list${n}&limit=100`);
  assert.deepEqual(byPerson.body.items.map((i: { id: string }) => i.id), ids);
  assert.equal(byPerson.body.next_cursor, null);
  assert.deepEqual((await t.api('GET', `/v1/renders?external_id=list${n}&state=done`)).body.items, []);
  const bad = await t.api('GET', '/v1/renders?limit=1000&state=nope');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.problems.map((p: { pointer: string }) => p.pointer).sort(), ['query:limit', 'query:state']);
  await t.api('DELETE', `/v1/renders?external_id=list${n}`);
});
