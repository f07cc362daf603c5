// A real `kasane worker` process (LOG_LEVEL=info) next to an API, sharing only a
// Redis: it renders for a person with a distinctive name and amount. Every line it
// writes is one JSON log entry; its job lines name the render, job, template and
// version; none holds the name or the amount. Its metrics port (no API in that
// process) shows the encode and queue-wait it did.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startService, type Service } from '../src/runtime.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { redisServerPath } from '../src/queue/embedded-redis.ts';
import { API_KEY, testServiceEnv } from './helpers/service.ts';
import { writeTinyTemplate } from './helpers/tiny-template.ts';
import { freePort, waitFor } from './support/net.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-worker-logs-'));
const TINY = 'worker-logs-tiny';
const NAME = `Quixby${Date.now() % 1_000_000}`; // fresh: the segment is encoded by this worker, not reused
const AMOUNT = 918273645;
let redis: ChildProcess;
let svc: Service;
let worker: ChildProcess;
let out = '';
let metricsPort: number;

before(async () => {
  await writeTinyTemplate(path.join(root, 'templates'), {
    id: TINY,
    name: 'worker logs',
    fields: { name: { type: 'string', required: true, maxLength: 20 }, amount: { type: 'integer', required: true } },
  });
  const redisPort = await freePort();
  redis = spawn(redisServerPath(), ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', root], { stdio: 'ignore' });
  const env = testServiceEnv(path.join(root, 'var'), { REDIS_URL: `redis://127.0.0.1:${redisPort}`, KASANE_TEMPLATES_DIR: path.join(root, 'templates') });

  await waitFor(() => new Promise<boolean>((ok) => net.connect(redisPort, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); ok(true); }).once('error', () => ok(false))), 10_000);
  // The API in this process, with no worker: the job can only be done by the worker process.
  svc = await startService({ api: true, worker: false, env, logger: false });
  metricsPort = await freePort();
  worker = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'worker'], {
    env: { ...env, LOG_LEVEL: 'info', KASANE_WORKER_NICE: '0', KASANE_METRICS_PORT: String(metricsPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (b) => (out += b));
  worker.stderr!.on('data', (b) => (out += b));
  await svc.prepareBundled();
});

after(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
  }
  await svc?.close();
  redis?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(svc.url + p, { method, headers: { authorization: `Bearer ${API_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: (await res.json()) as any };
}

test('the worker process logs JSON lines with the render bound, never the person’s data; its metrics port shows its work', async () => {
  const r = await api('POST', '/v1/renders', { template: TINY, data: { name: NAME, amount: AMOUNT }, external_id: 'worker-logs' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  let state = '';
  for (const end = Date.now() + 60_000; Date.now() < end && state !== 'done' && state !== 'failed'; await new Promise((res) => setTimeout(res, 100))) {
    state = (await api('GET', `/v1/renders/${r.body.id}`)).body.state;
  }
  assert.equal(state, 'done');

  // Scraped without a key from the worker's own listener.
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (re: RegExp) => Number(metrics.match(re)?.[1] ?? NaN);
  assert.ok(value(/^kasane_segment_encode_seconds_count\{[^}]*role="worker"[^}]*\} (\S+)$/m) >= 1, 'the worker encoded a segment');
  assert.ok(value(/^kasane_queue_wait_seconds_count\{[^}]*queue="render"[^}]*\} (\S+)$/m) >= 1, 'and took a render job from the queue');

  worker.kill('SIGTERM');
  await new Promise((res) => worker.once('exit', res));

  const lines = out.split('\n').filter((l) => l.trim());
  assert.ok(lines.length > 0, 'the worker logged');
  const entries = lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      return assert.fail(`not a JSON log line: ${l.slice(0, 300)}`);
    }
  });
  for (const e of entries) {
    assert.equal(typeof e.level, 'number', `no level: ${JSON.stringify(e).slice(0, 200)}`);
    assert.equal(typeof e.time, 'string', `no time: ${JSON.stringify(e).slice(0, 200)}`);
  }
  const done = entries.find((e) => e.msg === 'render done');
  assert.ok(done, `no "render done" line in: ${lines.slice(-5).join('\n')}`);
  assert.equal(done.renderId, r.body.id);
  assert.equal(done.jobId, r.body.id);
  assert.equal(done.template, TINY);
  assert.equal(done.version, r.body.version);
  assert.equal(done.name, 'worker');
  assert.ok(Array.isArray(done.segments) && done.segments.length === 1, 'which segments it rendered');
  assert.ok(entries.some((e) => e.jobId && e.template === TINY && e.version === r.body.version && e.msg === 'template version prepared'), 'the prepare job logged with its job id, template and version');
  for (const secret of [NAME, String(AMOUNT), '918,273,645', '918273645']) {
    assert.ok(!out.includes(secret), `the log holds "${secret}": ${lines.find((l) => l.includes(secret))}`);
  }
});

