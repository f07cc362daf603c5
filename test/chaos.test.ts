// Chaos: an API and 2 worker processes under a steady stream of renders. One worker is
// killed with SIGKILL 10 times at random moments (and restarted), Redis (AOF, fsync
// always) is killed and restarted once. Meanwhile viewers poll the personal segments.
// What must hold: every accepted render completes, and every 200 for a segment is the
// whole segment (the same bytes the finished render serves), never part of one, and
// every render's render.ready webhook arrives. A second test holds Redis down longer
// than the API waits for it: 503 + Retry-After at once, health checks say so.
// Seeded: the seed is printed; CHAOS_SEED=<n> replays the same schedule.
import { startS3, type TestS3 } from './support/s3.ts';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { redisServerPath } from '../src/queue/embedded-redis.ts';
import { API_KEY, startTestService, type TestService } from './helpers/service.ts';
import { writeTinyTemplate } from './helpers/tiny-template.ts';
import { analyzeSegment, checkStream } from './support/hls-checks.ts';
import { freePort } from './support/net.ts';
import { prng } from './support/prng.ts';

const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
const KILLS = 10;
/** A render is asked for every 300–500 ms while the chaos lasts. */
const ARRIVAL_MS: [number, number] = [300, 500];
/** Between two kills. */
const KILL_GAP_MS: [number, number] = [2000, 4500];
/** How long Redis stays down. */
const REDIS_DOWN_MS: [number, number] = [500, 2500];

// Two streams: the arrivals run concurrently with the kills, so sharing one stream would make
// the schedule depend on timing, and a seed would not replay it.
const rand = prng(SEED);
const arrivalRand = prng(SEED ^ 0x5bd1e995);
const between = ([lo, hi]: [number, number], r = rand) => lo + Math.floor(r() * (hi - lo));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Where every process stores its objects: the one place storage is chosen. To run the chaos
 * on S3, return the S3 settings of a started s3rver here (KASANE_STORAGE=s3://bucket/prefix,
 * KASANE_S3_ENDPOINT, KASANE_S3_FORCE_PATH_STYLE=1, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
 */
/** Storage shared by the API and both workers: a real S3-compatible server (s3rver), as across machines. */
let s3: TestS3 | undefined;
async function storageEnv(root: string): Promise<Record<string, string>> {
  if (!s3) {
    s3 = await startS3();
    cleanup.push(() => s3!.close());
  }
  return { ...s3.env(path.basename(root)), KASANE_CACHE_DIR: path.join(root, 'cache') };
}

/** A redis-server of the test's own, so it can be killed and started again on the same socket and data. */
class KillableRedis {
  child?: ChildProcess;
  readonly socket: string;
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.socket = path.join(dir, 'redis.sock');
  }
  get url() {
    return `unix://${this.socket}`;
  }
  async start(): Promise<void> {
    const args = ['--port', '0', '--unixsocket', this.socket, '--unixsocketperm', '700', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning', '--logfile', path.join(this.dir, 'redis.log')];
    this.child = spawn(redisServerPath(), args, { stdio: 'ignore' });
    for (const end = Date.now() + 15_000; !(await ping(this.socket)); await sleep(20)) {
      if (Date.now() > end || this.child.exitCode !== null) throw new Error(`redis-server did not start: ${readFileSync(path.join(this.dir, 'redis.log'), 'utf8').slice(-500)}`);
    }
  }
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode) return;
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
  }
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection(socket);
    const done = (ok: boolean) => (c.destroy(), resolve(ok));
    c.setTimeout(1000, () => done(false));
    c.on('error', () => done(false));
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (b) => done(b.toString().startsWith('+PONG')));
  });
}

interface Accepted {
  id: string;
  playlist: string;
  /** Segment index → sha256 of every 200 body seen for it. */
  seen: Map<number, Set<string>>;
  done: boolean;
}

/** What each test started, stopped after it whatever happened. */
const cleanup: Array<() => Promise<unknown> | unknown> = [];
after(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve().then(c).catch(() => {});
});

/** `kasane worker` processes in slots; each (re)start gets its own log file and health port. */
class WorkerPool {
  readonly procs: Array<ChildProcess | undefined> = [];
  readonly ports: number[] = [];
  private generation = 0;
  constructor(private readonly env: NodeJS.ProcessEnv, private readonly logs: string) {
    cleanup.push(() => this.procs.forEach((w) => w && w.exitCode === null && !w.signalCode && w.kill('SIGKILL')));
  }
  async start(slot: number): Promise<void> {
    const port = (this.ports[slot] ??= await freePort());
    const log = openSync(path.join(this.logs, `worker-${slot}-${this.generation++}.log`), 'w');
    this.procs[slot] = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'worker'], { env: { ...this.env, KASANE_WORKER_HEALTH_PORT: String(port) }, stdio: ['ignore', log, log] });
    closeSync(log);
  }
  async kill(slot: number): Promise<void> {
    const w = this.procs[slot];
    if (w && w.exitCode === null && !w.signalCode) {
      w.kill('SIGKILL');
      await new Promise((r) => w.once('exit', r));
    }
  }
  /** The worker's own health check: status and body. */
  async health(slot: number): Promise<{ status: number; body: any }> {
    try {
      const r = await fetch(`http://127.0.0.1:${this.ports[slot]}/healthz`, { signal: AbortSignal.timeout(5000) });
      return { status: r.status, body: await r.json() };
    } catch (e) {
      return { status: 0, body: (e as Error).message };
    }
  }
  async waitHealthy(slot: number, ms = 60_000): Promise<void> {
    for (const end = Date.now() + ms; ; await sleep(100)) {
      const h = await this.health(slot);
      if (h.status === 200) return;
      if (Date.now() > end) throw new Error(`worker ${slot} not healthy after ${ms} ms: ${h.status} ${JSON.stringify(h.body)}`);
    }
  }
}

/** A customer's webhook receiver: which renders it was told are ready. */
async function startReceiver(): Promise<{ url: string; ready: Set<string> }> {
  const ready = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const e = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (e.type === 'render.ready') ready.add(e.data.render_id);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`, ready };
}

test(`chaos: ${KILLS} worker SIGKILLs and a Redis restart under a stream of renders (seed ${SEED})`, { timeout: 420_000 }, async () => {
  console.log(`chaos seed ${SEED} (replay with CHAOS_SEED=${SEED})`);
  const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-chaos-'));
  cleanup.push(() => rmSync(root, { recursive: true, force: true }));
  const logs = path.join(root, 'logs');
  mkdirSync(logs);
  const redis = new KillableRedis(path.join(root, 'redis'));
  cleanup.push(() => redis.kill());
  await redis.start();
  await writeTinyTemplate(path.join(root, 'templates'), {
    id: 'chaos',
    name: 'Chaos',
    fields: { name: { type: 'string', required: true, maxLength: 16 }, amount: { type: 'integer', required: true } },
    // Two personal segments, so renders are split into parts (continuations) under load too.
    layers: [
      { id: 'name', type: 'text', start: 1, end: 1.6, box: { x: 10, y: 60, width: 300, height: 60 }, text: '{{name}}', style: { fontSize: 24, color: '#ffffff' } },
      { id: 'amount', type: 'text', start: 1.6, end: 2, box: { x: 10, y: 60, width: 300, height: 60 }, text: '{{amount}} 円', style: { fontSize: 24, color: '#ffffff' } },
    ],
  });
  const t = await startTestService({
    worker: false,
    env: {
      REDIS_URL: redis.url,
      KASANE_TEMPLATES_DIR: path.join(root, 'templates'),
      ...(await storageEnv(root)),
      KASANE_JIT_WAIT_MS: '300',
      KASANE_RETRY_DELAY_MS: '200',
      KASANE_EVENT_ALLOW_PRIVATE: '1',
      KASANE_EVENT_RETRY_BASE_MS: '200',
    },
  });
  cleanup.push(() => t.close());
  const pool = new WorkerPool(t.env, logs);
  await Promise.all([pool.start(0), pool.start(1)]);
  await Promise.all([pool.waitHealthy(0), pool.waitHealthy(1)]);
  const [prepared] = await t.svc.prepareBundled();
  assert.equal(prepared?.templateId, 'chaos');
  const receiver = await startReceiver();
  const endpoint = await t.api('POST', '/v1/webhook-endpoints', { url: receiver.url, events: ['render.ready'] });
  assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));

  const accepted: Accepted[] = [];
  const refused: string[] = [];
  const badServes: string[] = [];
  const answers = { ok: 0, retry: 0 };
  let stopArrivals = false;
  let stopPolling = false;
  // A failed assertion must not leave the viewers and the stream running for ever.
  cleanup.push(() => {
    stopArrivals = true;
    stopPolling = true;
  });

  // A steady stream of renders, each for a different person (nothing reused).
  const inflight: Array<Promise<void>> = [];
  const arrivals = (async () => {
    for (let n = 0; !stopArrivals; n++) {
      inflight.push(
        (async () => {
          try {
            const r = await t!.api('POST', '/v1/renders', { template: 'chaos', data: { name: `カオス ${SEED % 1000}-${n}`, amount: n } });
            if (r.status === 201) accepted.push({ id: r.body.id, playlist: r.body.playlist_url, seen: new Map(), done: false });
            else refused.push(`${r.status} ${r.body?.error?.code ?? ''} retry-after=${r.headers.get('retry-after')}`);
          } catch (e) {
            refused.push(`no answer: ${(e as Error).message}`);
          }
        })(),
      );
      await sleep(between(ARRIVAL_MS, arrivalRand));
    }
  })();

  // Viewers: fetch personal segments of accepted renders, over and over.
  const personal = [1, 2];
  const poll = async () => {
    while (!stopPolling) {
      const open = accepted.filter((a) => !a.done);
      const a = (open.length ? open : accepted)[Math.floor(Math.random() * (open.length || accepted.length))];
      if (!a) {
        await sleep(50);
        continue;
      }
      for (const n of personal) {
        const url = a.playlist.replace('index.m3u8', `${n}.ts`);
        let res: Response;
        try {
          res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        } catch (e) {
          badServes.push(`${a.id}/${n}: no answer (${(e as Error).message})`);
          continue;
        }
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status === 503) {
          if (!res.headers.get('retry-after')) badServes.push(`${a.id}/${n}: 503 without Retry-After`);
          answers.retry++;
          continue;
        }
        if (res.status !== 200) {
          badServes.push(`${a.id}/${n}: ${res.status} ${body.toString().slice(0, 200)}`);
          continue;
        }
        answers.ok++;
        const problem = segmentProblem(body, res.headers.get('content-length'));
        if (problem) badServes.push(`${a.id}/${n}: 200 with a broken segment: ${problem}`);
        const seen = a.seen.get(n) ?? new Set();
        seen.add(createHash('sha256').update(body).digest('hex'));
        a.seen.set(n, seen);
      }
      // Continuous, but leaving the 2 cores to the workers.
      await sleep(20);
    }
  };
  const pollers = [poll(), poll()];

  // The chaos: kills at random moments; once, Redis is killed, and a worker is killed and
  // started again while Redis is still down (as when a whole host reboots).
  const redisAfterKill = 2 + Math.floor(rand() * (KILLS - 4));
  const schedule: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    await sleep(between(KILL_GAP_MS));
    const slot = rand() < 0.5 ? 0 : 1;
    // Each kill lands on a working worker (one still booting from the last kill is waited for);
    // the other one keeps rendering meanwhile.
    await pool.waitHealthy(slot);
    await pool.kill(slot);
    schedule.push(`kill worker ${slot} at ${accepted.length} accepted`);
    if (k === redisAfterKill) {
      await pool.waitHealthy(1 - slot);
      await redis.kill();
      const down = between(REDIS_DOWN_MS);
      schedule.push(`redis down ${down} ms`);
      await pool.start(slot);
      await sleep(down);
      const h = await pool.health(1 - slot);
      assert.equal(h.status, 503, `a worker's health check says when Redis is down: ${JSON.stringify(h.body)}`);
      await redis.start();
    } else {
      await sleep(between([0, 1000]));
      await pool.start(slot);
    }
  }
  stopArrivals = true;
  await arrivals;
  await Promise.all(inflight);
  console.log(`chaos: ${schedule.join('; ')}`);
  console.log(`chaos: ${accepted.length} renders accepted, ${refused.length} refused; viewers got ${answers.ok} segments and ${answers.retry} 503s`);

  // Every accepted render completes.
  const t0 = Date.now();
  const states = new Map<string, string>();
  for (let end = Date.now() + 180_000; ; ) {
    for (const a of accepted.filter((x) => !x.done)) {
      const st = await t.api('GET', `/v1/renders/${a.id}`);
      states.set(a.id, `${st.status} ${st.body?.state} ${st.body?.error ?? ''}`);
      if (st.body?.state === 'done') a.done = true;
      if (st.body?.state === 'failed') assert.fail(`render ${a.id} failed: ${st.body.error}\n${workerLogTails(logs)}`);
    }
    const open = accepted.filter((x) => !x.done);
    if (!open.length) break;
    if (Date.now() > end) {
      assert.fail(`${open.length} of ${accepted.length} accepted renders never completed: ${open.slice(0, 5).map((a) => `${a.id}: ${states.get(a.id)}`).join('; ')}\n${workerLogTails(logs)}`);
    }
    await sleep(500);
  }
  console.log(`chaos: all renders done ${Date.now() - t0} ms after the chaos ended`);
  // And the customer's tool heard of every one of them.
  for (const end = Date.now() + 60_000; accepted.some((a) => !receiver.ready.has(a.id)); await sleep(200)) {
    if (Date.now() > end) assert.fail(`render.ready never arrived for ${accepted.filter((a) => !receiver.ready.has(a.id)).length} of ${accepted.length} renders`);
  }
  stopPolling = true;
  await Promise.all(pollers);

  assert.deepEqual(refused, [], 'every render asked for was accepted (requests during the Redis restart wait for it)');
  assert.deepEqual(badServes, [], 'every answer to a segment request was a whole segment or a 503 with Retry-After');
  assert.ok(accepted.length >= 60, `a steady stream: ${accepted.length} renders`);

  // Every 200 a viewer got during the chaos is byte for byte what the finished render serves.
  let compared = 0;
  for (const a of accepted) {
    for (const [n, hashes] of a.seen) {
      const final = Buffer.from(await (await fetch(a.playlist.replace('index.m3u8', `${n}.ts`))).arrayBuffer());
      const h = createHash('sha256').update(final).digest('hex');
      assert.deepEqual([...hashes], [h], `${a.id} segment ${n}: a viewer got other bytes than the finished segment`);
      compared++;
    }
  }
  console.log(`chaos: ${compared} segments served during the chaos compared with the final ones`);
  assert.ok(compared > 0, 'the viewers saw segments during the chaos');

  // And every stream is a valid stream.
  const failures: string[] = [];
  const queue = [...accepted];
  await Promise.all(
    [0, 1].map(async () => {
      for (let a = queue.shift(); a; a = queue.shift()) {
        const report = await checkStream(a.playlist);
        if (report.failures.length) failures.push(`${a.id}: ${report.failures.join(' | ')}`);
      }
    }),
  );
  assert.deepEqual(failures, []);
});

/** Why a 200 body is not a whole segment, or null. */
function segmentProblem(body: Buffer, contentLength: string | null): string | null {
  if (contentLength !== null && Number(contentLength) !== body.length) return `content-length ${contentLength}, ${body.length} bytes came`;
  if (body.length === 0 || body.length % 188 !== 0) return `${body.length} bytes is not a whole number of TS packets`;
  try {
    const a = analyzeSegment(body);
    if (a.problems.length) return a.problems.join('; ');
    if (!a.idr) return 'does not start with an IDR frame';
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** The end of each worker's latest log, for a failure message. */
function workerLogTails(dir: string): string {
  const latest = new Map<string, string>();
  for (const f of readdirSync(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) latest.set(f.split('-')[1]!, f);
  return [...latest.values()].map((f) => `--- ${f}\n${readFileSync(path.join(dir, f), 'utf8').slice(-1500)}`).join('\n');
}

test('Redis down for longer than the API waits: 503 + Retry-After at once, health checks say so, all well once it is back', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-redis-down-'));
  cleanup.push(() => rmSync(root, { recursive: true, force: true }));
  const redis = new KillableRedis(path.join(root, 'redis'));
  cleanup.push(() => redis.kill());
  await redis.start();
  const t = await startTestService({ worker: false, env: { REDIS_URL: redis.url, ...(await storageEnv(root)), KASANE_REDIS_WAIT_MS: '1000' } });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= t.close());
  cleanup.push(close);
  const pool = new WorkerPool(t.env, root);
  await pool.start(0);
  await pool.waitHealthy(0);
  const ask = async (p: string, init: RequestInit = {}) => {
    const t0 = Date.now();
    const r = await fetch(t.url + p, { ...init, signal: AbortSignal.timeout(10_000) });
    return { status: r.status, body: await r.json(), retryAfter: r.headers.get('retry-after'), cors: r.headers.get('access-control-allow-origin'), ms: Date.now() - t0 };
  };
  const auth = { authorization: `Bearer ${API_KEY}` };
  assert.equal((await ask('/v1/renders/rnosuchrender', { headers: auth })).status, 404);

  await redis.kill();
  // An MA tool's call and a viewer's request: a precise 503 after the short wait, not a hang until Redis returns.
  const render = await ask('/v1/renders', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ template: 'energy-savings', data: { name: 'x' } }) });
  assert.equal(render.status, 503);
  assert.equal(render.body.error.code, 'unavailable');
  assert.equal(render.retryAfter, '5');
  assert.ok(render.ms < 5000, `answered after ${render.ms} ms`);
  const viewer = await ask('/v/sometoken/1.ts');
  assert.equal(viewer.status, 503);
  assert.equal(viewer.cors, '*', 'a player on another origin can read the 503');
  const health = await ask('/healthz');
  assert.equal(health.status, 503);
  assert.notEqual(health.body.checks.redis, 'ok');
  const workerHealth = await pool.health(0);
  assert.equal(workerHealth.status, 503);
  assert.notEqual(workerHealth.body.checks.redis, 'ok');
  assert.equal(workerHealth.body.checks.worker, 'ok');

  await redis.start();
  for (const end = Date.now() + 20_000; (await ask('/healthz')).status !== 200; await sleep(100)) assert.ok(Date.now() < end, 'API healthy again');
  assert.equal((await ask('/v1/renders/rnosuchrender', { headers: auth })).status, 404);
  await pool.waitHealthy(0);
  // And it still stops when asked (a SIGTERM from docker or systemd), in bounded time.
  const t0 = Date.now();
  const closed = await Promise.race([close().then(() => 'closed'), new Promise((r) => setTimeout(r, 30_000, 'still closing').unref())]);
  assert.equal(closed, 'closed', 'the API process stops after a Redis restart');
  const ms = Date.now() - t0;
  console.log(`API closed ${ms} ms after being asked`);
  // Not cut short by the 8 s bound on a part that hangs: every part closed by itself.
  assert.ok(ms < 7000, `closing took ${ms} ms`);
});
