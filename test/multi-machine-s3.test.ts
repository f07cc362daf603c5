// Storage that any number of machines share: 2 API and 2 worker processes, each with
// its own var and cache folders, sharing only one Redis and one S3-compatible server
// (s3rver). A package uploaded through API 1 is prepared by a worker from S3, renders
// accepted by API 2 are drawn by both workers, and every stream passes the stream
// checks through both APIs — API 2 listing shared segments straight from the bucket
// (KASANE_SEGMENT_BASE_URL).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { Queue } from 'bullmq';
import { redisServerPath } from '../src/queue/embedded-redis.ts';
import { RENDER_QUEUE } from '../src/queue/queues.ts';
import { packageFiles } from '../src/templates/prepare.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';
import { writeTinyTemplate, textLayer } from './helpers/tiny-template.ts';
import { checkStream } from './support/hls-checks.ts';
import { startS3, type TestS3 } from './support/s3.ts';
import { freePort, waitFor } from './support/net.ts';

const KEY = 'multi-machine-key-0123456789';
const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-multi-'));
const children: ChildProcess[] = [];
let s3: TestS3 | undefined;

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all(children.map((c) => (c.exitCode === null && !c.signalCode ? new Promise((r) => c.once('exit', r)) : null)));
  await s3?.close();
  rmSync(root, { recursive: true, force: true });
});

/** One "machine": a kasane process with its own var (and so cache) folder; stdout kept for its log lines. */
function machine(role: 'api' | 'worker', name: string, env: Record<string, string>): { proc: ChildProcess; varDir: string; log: () => string } {
  const varDir = path.join(root, name);
  let out = '';
  const proc = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), role], { env: { ...process.env, ...env, KASANE_VAR_DIR: varDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  proc.stdout!.on('data', (b) => (out += b));
  children.push(proc);
  return { proc, varDir, log: () => out };
}

/** Command lines of a process's children (Linux /proc). */
function childCommands(pid: number): string[] {
  try {
    const kids = readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
    return kids.map((k) => { try { return readFileSync(`/proc/${k}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; } });
  } catch {
    return [];
  }
}

async function healthy(url: string): Promise<void> {
  for (const end = Date.now() + 30_000; ; ) {
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    assert.ok(Date.now() < end, `${url} never became healthy`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('2 APIs + 2 workers sharing only Redis and S3: upload via one, render via the other, both workers render, every stream is sound', async () => {
  s3 = await startS3();
  const redisPort = await freePort();
  const redisDir = path.join(root, 'redis');
  mkdirSync(redisDir, { recursive: true });
  const redis = spawn(redisServerPath(), ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  children.push(redis);
  const [port1, port2] = [await freePort(), await freePort()];
  const [api1Url, api2Url] = [`http://127.0.0.1:${port1}`, `http://127.0.0.1:${port2}`];
  const shared = {
    ...s3.env('kasane'),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    KASANE_API_KEYS: KEY,
    KASANE_SIGNING_KEYS: 'k1:multi-machine-signing-0123456789',
    KASANE_CONTENT_SECRET: 'multi-machine-content-0123456789',
    KASANE_TEMPLATES_DIR: path.join(root, 'no-bundled'),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    KASANE_WORKER_CONCURRENCY: '1',
    KASANE_FFMPEG_SCHED: 'normal',
    // The SDK's notice that its 2027 releases need Node 22 (docs/storage.md), once per process.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // The bucket's public address for the shared segments (s3rver answers unsigned GETs, as a public bucket does).
  const base = `${s3.endpoint}/${s3.bucket}/kasane`;
  const api1 = machine('api', 'api1', { ...shared, PORT: String(port1), PUBLIC_URL: api1Url });
  const api2 = machine('api', 'api2', { ...shared, PORT: String(port2), PUBLIC_URL: api2Url, KASANE_SEGMENT_BASE_URL: base });
  const workers = [machine('worker', 'worker1', shared), machine('worker', 'worker2', shared)];
  await Promise.all([healthy(api1Url), healthy(api2Url)]);
  // Each API machine starts its drawing process with it (fonts loaded before the first viewer asks).
  for (const api of [api1, api2]) await waitFor(async () => childCommands(api.proc.pid!).some((c) => /preview-process\.(ts|js)/.test(c)), 10_000).catch(() => assert.fail(`no drawing process under the API: ${childCommands(api.proc.pid!).join(' | ')}`));
  // Both workers listening before any job exists, so the renders below can spread over both.
  const q = new Queue(RENDER_QUEUE, { connection: { host: '127.0.0.1', port: redisPort } });
  try {
    for (const end = Date.now() + 30_000; (await q.getWorkers()).length < 2; ) {
      assert.ok(Date.now() < end, 'both workers connect to the shared Redis');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await q.close();
  }

  // Upload through API 1; a worker (another "machine") fetches the package from S3 and prepares it.
  const dir = await writeTinyTemplate(path.join(root, 'pkg'), { id: 'multi', name: 'Multi', fields: { name: { type: 'string', required: true, maxLength: 20 }, amount: { type: 'integer', required: true } }, layers: [textLayer('{{name}} {{amount}}')], seconds: 3 });
  const zip = await zipFiles(await Promise.all((await packageFiles(dir)).map(async (name) => ({ name, data: readFileSync(path.join(dir, name)) }))));
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'pkg.zip');
  const up = await fetch(`${api1Url}/v1/templates?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form });
  const upBody = (await up.json()) as any;
  assert.ok(up.status === 200 || up.status === 201, `upload: ${up.status} ${JSON.stringify(upBody)}`);

  // Renders through API 2, all at once so both workers take some.
  const N = 6;
  const renders = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const r = await fetch(`${api2Url}/v1/renders`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ template: 'multi', data: { name: `Multi${i}`, amount: 1000 + i } }) });
      const body = (await r.json()) as any;
      assert.equal(r.status, 201, JSON.stringify(body));
      return body as { id: string; playlist_url: string };
    }),
  );
  for (const r of renders) {
    for (const end = Date.now() + 60_000; ; ) {
      const st = (await (await fetch(`${api1Url}/v1/renders/${r.id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as any;
      if (st.state === 'done') break;
      assert.notEqual(st.state, 'failed', st.error);
      assert.ok(Date.now() < end, `render ${r.id} still ${st.state}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  // Each worker's own log says which renders it finished.
  const done = workers.map((w) => w.log().split('\n').filter((l) => l.includes('"msg":"render done"') && renders.some((r) => l.includes(`"renderId":"${r.id}"`))).length);
  assert.ok(done[0]! > 0 && done[1]! > 0, `both workers rendered (renders per worker: ${done.join(', ')})`);

  for (const r of renders) {
    assert.ok(r.playlist_url.startsWith(api2Url), 'links point at the API that accepted them');
    const playlist = await (await fetch(r.playlist_url)).text();
    assert.ok(playlist.includes(`${base}/templates/multi/`), 'API 2 lists shared segments on the bucket base URL');
    const via2 = await checkStream(r.playlist_url);
    assert.deepEqual(via2.failures, [], `via API 2 (shared segments from the bucket): ${r.id}`);
    const via1 = await checkStream(r.playlist_url.replace(api2Url, api1Url));
    assert.deepEqual(via1.failures, [], `via API 1: ${r.id}`);
  }
  // Every machine kept only its own var folder: nothing stored locally, mezzanines expanded only in the workers' caches.
  for (const m of [api1, api2, ...workers]) assert.equal(existsSync(path.join(m.varDir, 'storage')), false, `${m.varDir} holds no storage`);
  const cached = workers.map((w) => (existsSync(path.join(w.varDir, 'cache', 'files')) ? readdirSync(path.join(w.varDir, 'cache', 'files')).filter((f) => f.endsWith('.yuv')).length : 0));
  assert.ok(cached.every((n) => n > 0), `each worker expanded the mezzanine into its own cache (${cached.join(', ')})`);
});
