// Chaos: an API and 2 worker processes under a steady stream of renders. One worker is
// killed with SIGKILL 10 times at random moments (and restarted), Redis (AOF, fsync
// always) is killed and restarted once. Meanwhile viewers poll the personal segments.
// What must hold: every accepted render completes, and every 200 for a segment is the
// whole segment (the same bytes the finished render serves), never part of one.
// Seeded: the seed is printed; CHAOS_SEED=<n> replays the same schedule.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { redisServerPath } from '../src/queue/embedded-redis.ts';
import { startTestService, type TestService } from './helpers/service.ts';
import { writeTinyTemplate } from './helpers/tiny-template.ts';
import { analyzeSegment, checkStream } from './support/hls-checks.ts';

const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
const KILLS = 10;
/** A render is asked for every 300–500 ms while the chaos lasts. */
const ARRIVAL_MS: [number, number] = [300, 500];
/** Between two kills. */
const KILL_GAP_MS: [number, number] = [2500, 5500];
/** How long Redis stays down. */
const REDIS_DOWN_MS: [number, number] = [500, 2500];

/** mulberry32: small, seedable, good enough to place kills. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const between = ([lo, hi]: [number, number]) => lo + Math.floor(rand() * (hi - lo));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Where every process stores its objects. The only place storage is chosen: to run the
 * chaos on S3, return the S3 settings (KASANE_STORAGE=s3://…, KASANE_S3_ENDPOINT, …) here.
 */
function storageEnv(root: string): Record<string, string> {
  return { KASANE_STORAGE_DIR: path.join(root, 'storage') };
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

let root: string | undefined;
let t: TestService | undefined;
let redis: KillableRedis | undefined;
const workers: Array<ChildProcess | undefined> = [undefined, undefined];

after(async () => {
  for (const w of workers) if (w && w.exitCode === null && !w.signalCode) w.kill('SIGKILL');
  await t?.close().catch(() => {});
  await redis?.kill();
  if (root) rmSync(root, { recursive: true, force: true });
});

test(`chaos: ${KILLS} worker SIGKILLs and a Redis restart under a stream of renders (seed ${SEED})`, { timeout: 420_000 }, async () => {
  console.log(`chaos seed ${SEED} (replay with CHAOS_SEED=${SEED})`);
  root = mkdtempSync(path.join(os.tmpdir(), 'kasane-chaos-'));
  const logs = path.join(root, 'logs');
  mkdirSync(logs);
  redis = new KillableRedis(path.join(root, 'redis'));
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
  t = await startTestService({
    worker: false,
    env: { REDIS_URL: redis.url, KASANE_TEMPLATES_DIR: path.join(root, 'templates'), ...storageEnv(root), KASANE_JIT_WAIT_MS: '300', KASANE_RETRY_DELAY_MS: '200' },
  });
  const env = t.env;
  let generation = 0;
  const startWorker = (slot: number) => {
    const log = openSync(path.join(logs, `worker-${slot}-${generation++}.log`), 'w');
    const w = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'worker'], { env, stdio: ['ignore', log, log] });
    closeSync(log);
    workers[slot] = w;
  };
  const killWorker = async (slot: number) => {
    const w = workers[slot]!;
    if (w.exitCode === null && !w.signalCode) {
      w.kill('SIGKILL');
      await new Promise((r) => w.once('exit', r));
    }
  };
  startWorker(0);
  startWorker(1);
  const [prepared] = await t.svc.prepareBundled();
  assert.equal(prepared?.templateId, 'chaos');

  const accepted: Accepted[] = [];
  const refused: string[] = [];
  const badServes: string[] = [];
  let stopArrivals = false;
  let stopPolling = false;

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
      await sleep(between(ARRIVAL_MS));
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
          continue;
        }
        if (res.status !== 200) {
          badServes.push(`${a.id}/${n}: ${res.status} ${body.toString().slice(0, 200)}`);
          continue;
        }
        const problem = segmentProblem(body, res.headers.get('content-length'));
        if (problem) badServes.push(`${a.id}/${n}: 200 with a broken segment: ${problem}`);
        const seen = a.seen.get(n) ?? new Set();
        seen.add(createHash('sha256').update(body).digest('hex'));
        a.seen.set(n, seen);
      }
    }
  };
  const pollers = [poll(), poll()];

  // The chaos: kills at random moments, Redis killed once in between.
  const redisAfterKill = 2 + Math.floor(rand() * (KILLS - 4));
  const schedule: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    await sleep(between(KILL_GAP_MS));
    const slot = rand() < 0.5 ? 0 : 1;
    await killWorker(slot);
    schedule.push(`kill worker ${slot} at ${accepted.length} accepted`);
    await sleep(between([0, 1000]));
    startWorker(slot);
    if (k === redisAfterKill) {
      await sleep(between(KILL_GAP_MS));
      await redis.kill();
      const down = between(REDIS_DOWN_MS);
      schedule.push(`redis down ${down} ms at ${accepted.length} accepted`);
      await sleep(down);
      await redis.start();
    }
  }
  stopArrivals = true;
  await arrivals;
  await Promise.all(inflight);
  console.log(`chaos: ${schedule.join('; ')}`);
  console.log(`chaos: ${accepted.length} renders accepted, ${refused.length} refused`);

  // Every accepted render completes.
  const t0 = Date.now();
  const states = new Map<string, string>();
  for (let end = Date.now() + 180_000; ; ) {
    for (const a of accepted.filter((x) => !x.done)) {
      const st = await t.api('GET', `/v1/renders/${a.id}`);
      states.set(a.id, `${st.status} ${st.body?.state} ${st.body?.error ?? ''}`);
      if (st.body?.state === 'done') a.done = true;
    }
    const open = accepted.filter((x) => !x.done);
    if (!open.length) break;
    if (Date.now() > end) {
      assert.fail(`${open.length} of ${accepted.length} accepted renders never completed: ${open.slice(0, 5).map((a) => `${a.id}: ${states.get(a.id)}`).join('; ')}\n${workerLogTails(logs)}`);
    }
    await sleep(500);
  }
  console.log(`chaos: all renders done ${Date.now() - t0} ms after the chaos ended`);
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
