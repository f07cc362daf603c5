// Starts a real Kasane (embedded redis-server, real ffmpeg, real HTTP) in a
// temporary var dir. Prepared templates are cached across test files in one
// shared storage dir, keyed by version hash, so each file does not re-encode.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startService, type Service } from '../../src/runtime.ts';
import { PROJECT_ROOT } from '../../src/config/index.ts';

// Under the checkout's var/ (git-ignored): a fresh clone prepares from scratch, reruns reuse it.
export const SHARED_STORAGE = path.join(PROJECT_ROOT, 'var', 'test-storage');
// Likewise the expanded mezzanines (keyed by the stored copy's size and time, so a test that
// breaks a mezzanine still sees it broken): each test file's first render skips the decode.
export const SHARED_CACHE = path.join(PROJECT_ROOT, 'var', 'test-cache');
export const API_KEY = 'test-key-0123456789abcdef';

/** The embedded Redis's socket of a service started with this var dir. */
export const redisSocket = (varDir: string) => path.join(varDir, 'redis', 'redis.sock');

/** A client of that Redis, for tests that look at or adjust what the service stored. */
export function connectTestRedis(varDir: string): Redis {
  return new Redis({ path: redisSocket(varDir), maxRetriesPerRequest: null });
}

export interface TestService {
  svc: Service;
  url: string;
  varDir: string;
  env: NodeJS.ProcessEnv;
  api<T = any>(method: string, p: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  /** Polls GET /v1/renders/<id> until its state is one of `want`; throws after `ms`. */
  waitState(id: string, want: string[], ms?: number): Promise<any>;
  close(): Promise<void>;
}

/** The environment a test service runs with (shared storage and cache, fixed keys); `extra` wins. */
export function testServiceEnv(varDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KASANE_VAR_DIR: varDir,
    KASANE_STORAGE_DIR: SHARED_STORAGE,
    KASANE_CACHE_DIR: SHARED_CACHE,
    KASANE_CACHE_MAX_GB: '6',
    KASANE_API_KEYS: API_KEY,
    KASANE_SIGNING_KEYS: 'k1:test-signing-secret-0123456789',
    KASANE_CONTENT_SECRET: 'test-content-secret-0123456789',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export async function startTestService(opts: { worker?: boolean; env?: Record<string, string> } = {}): Promise<TestService> {
  const varDir = mkdtempSync(path.join(os.tmpdir(), 'kasane-test-var-'));
  const env = testServiceEnv(varDir, opts.env);
  // A test that runs its own Redis (test/chaos.test.ts) passes REDIS_URL; the others get the embedded one.
  if (!opts.env?.REDIS_URL) delete env.REDIS_URL;
  const svc = await startService({ api: true, worker: opts.worker ?? true, env, logger: false });
  // PUBLIC_URL must match the ephemeral port for the links we hand out.
  const url = svc.url!;
  svc.config.publicUrl = url;
  const t: TestService = {
    svc,
    url,
    varDir,
    env: { ...env, PUBLIC_URL: url },
    async api(method, p, body, headers = {}) {
      const res = await fetch(url + p, {
        method,
        headers: { authorization: `Bearer ${API_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async waitState(id, want, ms = 60_000) {
      for (const end = Date.now() + ms; ; ) {
        const r = (await t.api('GET', `/v1/renders/${id}`)).body;
        if (want.includes(r.state)) return r;
        if (Date.now() > end) throw new Error(`render ${id} still ${r.state}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    async close() {
      await svc.close();
      rmSync(varDir, { recursive: true, force: true });
    },
  };
  return t;
}

/**
 * Prepares the bundled templates of a service started without a worker (`worker: false`):
 * preparing needs one, so a worker process runs until they are in, then is killed.
 */
export async function prepareWithTemporaryWorker(t: TestService): Promise<void> {
  const w = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'worker'], { env: t.env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await t.svc.prepareBundled();
  } finally {
    const gone = new Promise((r) => w.once('exit', r));
    w.kill('SIGKILL');
    await gone;
  }
}

/** A prepared version's plan.json, as stored. */
export function readPlan(template: string, version: string, storage = SHARED_STORAGE): { segments: Array<{ kind: string; key: string; mezzanine?: string }> } & Record<string, any> {
  return JSON.parse(readFileSync(path.join(storage, 'templates', template, version, 'plan.json'), 'utf8'));
}

/**
 * Runs `fn` while a template version's first personalized mezzanine is broken, so every
 * render of that version fails in ffmpeg (a real failure, not a stub); restores it after.
 */
export async function withBrokenMezzanine<T>(template: string, version: string, fn: () => Promise<T>, storage = SHARED_STORAGE): Promise<T> {
  const plan = readPlan(template, version, storage);
  const mezz = path.join(storage, plan.segments.find((s) => s.kind === 'dynamic')!.mezzanine!);
  const good = readFileSync(mezz);
  writeFileSync(mezz, Buffer.from('not a video'));
  try {
    return await fn();
  } finally {
    writeFileSync(mezz, good);
  }
}
