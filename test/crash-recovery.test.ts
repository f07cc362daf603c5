// A worker killed with SIGKILL mid-render loses nothing: after a restart the
// render completes, and no partial segment is ever served meanwhile.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolveInputs, segmentKeys } from '../src/render/personalize.ts';
import path from 'node:path';
import { startTestService, SHARED_STORAGE, type TestService } from './helpers/service.ts';
import { checkStream } from './support/hls-checks.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';

let t: TestService | undefined;
const workers: ChildProcess[] = [];

function startWorker(env: NodeJS.ProcessEnv): ChildProcess {
  const w = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'worker'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  workers.push(w);
  return w;
}

after(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await t?.close();
});

test('SIGKILL of the worker mid-render: nothing partial is served, and the render completes after a restart', async () => {
  // API only in this process; the worker is a separate process we can kill.
  t = await startTestService({ worker: false, env: { KASANE_JIT_WAIT_MS: '300' } });
  let w = startWorker(t.env);
  await t.svc.prepareBundled();
  const data = { name: `クラッシュ${Date.now()}`, savings: 777 };
  const res = await t.api('POST', '/v1/renders', { template: 'energy-savings', data });
  assert.equal(res.status, 201);
  const id = res.body.id;
  const seg = (n: number) => fetch(res.body.playlist_url.replace('index.m3u8', `${n}.ts`));

  // Wait until the first personalized segment is done and the second is being encoded, then kill.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const st = (await t.api('GET', `/v1/renders/${id}`)).body;
    if (st.segments[1].state === 'ready') break;
    assert.ok(Date.now() < deadline, 'worker never finished segment 1');
    await new Promise((r) => setTimeout(r, 20));
  }
  w.kill('SIGKILL');
  await new Promise((r) => w.once('exit', r));
  let st = (await t.api('GET', `/v1/renders/${id}`)).body;
  assert.notEqual(st.state, 'done', 'killed before the render finished');
  assert.equal(st.segments[3].state === 'ready', false);

  // With no worker, the unfinished segment is refused with 503 + Retry-After — never a partial file.
  const r3 = await seg(3);
  assert.equal(r3.status, 503);
  assert.equal(r3.headers.get('retry-after'), '2');
  // Whatever the killed worker left behind is at most a temp file, never the segment's own key.
  const plan = JSON.parse(readFileSync(path.join(SHARED_STORAGE, 'templates', 'energy-savings', st.version, 'plan.json'), 'utf8'));
  const keys = segmentKeys(plan, resolveInputs(plan, data), Buffer.from('test-content-secret-0123456789'));
  assert.equal(existsSync(path.join(SHARED_STORAGE, keys[1]!)), true, 'finished segment is stored');
  assert.equal(existsSync(path.join(SHARED_STORAGE, keys[3]!)), false, 'unfinished segment does not exist, not even partially');

  // Restart: BullMQ hands the stalled job to the new worker, which skips finished segments.
  w = startWorker(t.env);
  const end = Date.now() + 90_000;
  for (;;) {
    st = (await t.api('GET', `/v1/renders/${id}`)).body;
    if (st.state === 'done') break;
    assert.notEqual(st.state, 'failed', st.error);
    assert.ok(Date.now() < end, `render stuck in ${st.state} after restart`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(st.attempts >= 1);
  const report = await checkStream(res.body.playlist_url);
  assert.deepEqual(report.failures, []);
  w.kill('SIGTERM');
});
