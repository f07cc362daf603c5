// docker-compose.yml and the Dockerfile cannot be run here (no Docker): this checks what can
// be checked without it. The file parses as YAML with no duplicate keys; the services the
// deployment needs are there with health checks, AOF Redis, the bucket job, shared
// secrets and S3 settings; every dependency names a real service; every KASANE_ variable
// is one the config reads; and the health check commands themselves, run for real against
// a running API and `kasane worker`, pass when healthy and fail when the worker is gone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
// `yaml` comes with @fastify/swagger (a dependency); the report asks to declare it as a devDependency.
import { parseDocument } from 'yaml';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { startTestService, type TestService } from './helpers/service.ts';
import { freePort } from './support/net.ts';

const read = (f: string) => readFileSync(path.join(PROJECT_ROOT, f), 'utf8');

function compose(): any {
  const doc = parseDocument(read('docker-compose.yml'), { merge: true, uniqueKeys: true, prettyErrors: true });
  assert.deepEqual([...doc.errors, ...doc.warnings].map((e) => e.message), [], 'docker-compose.yml is valid YAML');
  return doc.toJS({ maxAliasCount: 100 });
}

/** Variables the S3 storage (issue 11, in parallel) adds to the config; the rest must be read there today. */
const STORAGE_VARS = ['KASANE_STORAGE', 'KASANE_S3_ENDPOINT', 'KASANE_S3_FORCE_PATH_STYLE', 'KASANE_CACHE_MAX_GB'];

test('docker-compose.yml: redis (AOF), MinIO + bucket job, api ×2, worker ×2, health checks, shared secrets', () => {
  const c = compose();
  const s = c.services;
  assert.deepEqual(Object.keys(s).sort(), ['api', 'minio', 'minio-init', 'redis', 'worker']);

  // Every dependency is a service; waiting for health needs a health check; the bucket job must finish.
  for (const [name, svc] of Object.entries<any>(s)) {
    for (const [dep, cond] of Object.entries<any>(svc.depends_on ?? {})) {
      assert.ok(s[dep], `${name} depends on unknown service ${dep}`);
      assert.ok(['service_started', 'service_healthy', 'service_completed_successfully'].includes(cond.condition), `${name} → ${dep}: ${cond.condition}`);
      if (cond.condition === 'service_healthy') assert.ok(s[dep].healthcheck?.test, `${dep} needs a healthcheck for ${name} to wait on`);
    }
    for (const v of svc.volumes ?? []) {
      const named = String(v).split(':')[0]!;
      if (!named.startsWith('/') && !named.startsWith('.')) assert.ok(named in (c.volumes ?? {}), `${name}: volume ${named} is declared`);
    }
  }

  const redisCmd = s.redis.command.join(' ');
  assert.match(redisCmd, /--appendonly yes/);
  assert.match(redisCmd, /--maxmemory-policy noeviction/, 'BullMQ keys must never be evicted');
  assert.deepEqual(s.redis.healthcheck.test, ['CMD', 'redis-cli', 'ping']);
  assert.ok(s.minio.healthcheck.test, 'MinIO has a health check');
  assert.match(s['minio-init'].entrypoint.join(' '), /mc mb --ignore-existing local\/kasane/);
  assert.equal(s['minio-init'].restart, 'no');

  for (const name of ['api', 'worker']) {
    const svc = s[name];
    assert.deepEqual(svc.command, [name]);
    assert.equal(svc.image, 'kasane:local');
    assert.equal(svc.init, true, `${name}: an init reaps ffmpeg children and forwards SIGTERM`);
    assert.equal(svc.deploy.replicas, 2);
    assert.equal(svc.depends_on.redis.condition, 'service_healthy');
    assert.equal(svc.depends_on['minio-init'].condition, 'service_completed_successfully');
    assert.equal(svc.healthcheck.test[0], 'CMD');
    const env = svc.environment;
    // Shared by every process: one Redis, one bucket, the same secrets.
    assert.equal(env.REDIS_URL, 'redis://redis:6379/0');
    assert.match(env.KASANE_STORAGE, /^s3:\/\/kasane\//, 'the bucket the init job creates');
    assert.equal(env.KASANE_S3_ENDPOINT, 'http://minio:9000');
    assert.equal(env.KASANE_S3_FORCE_PATH_STYLE, '1');
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'KASANE_API_KEYS', 'KASANE_SIGNING_KEYS', 'KASANE_CONTENT_SECRET', 'PUBLIC_URL']) assert.ok(env[k], `${name}: ${k}`);
    // Secrets come from .env, never written into the file.
    for (const k of ['AWS_SECRET_ACCESS_KEY', 'KASANE_API_KEYS', 'KASANE_SIGNING_KEYS', 'KASANE_CONTENT_SECRET']) assert.match(env[k], /^\$\{[A-Z_]+:\?/, `${name}: ${k} must be required from the environment`);
    const config = read('src/config/index.ts');
    for (const k of Object.keys(env).filter((k) => k.startsWith('KASANE_'))) {
      assert.ok(config.includes(`'${k}'`) || config.includes(`env.${k}`) || STORAGE_VARS.includes(k), `${name}: ${k} is not a variable the config reads`);
    }
  }
  assert.equal(s.api.build, '.');
  assert.equal(s.api.environment.PORT, '3000');
  assert.match(s.api.healthcheck.test.join(' '), /127\.0\.0\.1:3000\/healthz/);
  assert.match(s.worker.healthcheck.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${s.worker.environment.KASANE_WORKER_HEALTH_PORT}/healthz`));
});

test('Dockerfile: node 20 bookworm slim, npm ci, an init, kasane as the entrypoint', () => {
  const d = read('Dockerfile');
  assert.match(d, /^FROM node:20-bookworm-slim$/m);
  assert.match(d, /npm ci/);
  assert.match(d, /ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "build\/src\/cli\.js"\]/);
  const ignore = read('.dockerignore').split('\n');
  for (const p of ['node_modules', 'var', '.git']) assert.ok(ignore.includes(p), `.dockerignore keeps ${p} out of the image`);
});

// ---------------------------------------------------------------- the health checks, run for real

let t: TestService | undefined;
let worker: ChildProcess | undefined;
after(async () => {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  await t?.close();
});

/** Runs a compose health check (CMD form) with its port swapped for the test's; its exit code. Async: the API answers from this process. */
async function runHealthcheck(testCmd: string[], fromPort: string, toPort: number): Promise<number | null> {
  const [, cmd, ...args] = testCmd;
  assert.equal(cmd, 'node');
  const p = spawn(process.execPath, args.map((a) => a.replace(`:${fromPort}/`, `:${toPort}/`)), { stdio: 'ignore', timeout: 10_000 });
  return new Promise((r) => p.once('exit', (code) => r(code)));
}

test('the compose health checks pass on a running API and worker, and fail when the worker is gone', async () => {
  const { services: s } = compose();
  t = await startTestService({ worker: false });
  const apiPort = Number(new URL(t.url).port);
  assert.equal(await runHealthcheck(s.api.healthcheck.test, '3000', apiPort), 0, 'API healthy');

  const port = await freePort();
  worker = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/kasane.js'), 'worker'], { env: { ...t.env, KASANE_WORKER_HEALTH_PORT: String(port) }, stdio: 'ignore' });
  const from = s.worker.environment.KASANE_WORKER_HEALTH_PORT;
  for (const end = Date.now() + 60_000; (await runHealthcheck(s.worker.healthcheck.test, from, port)) !== 0; await new Promise((r) => setTimeout(r, 200))) {
    assert.ok(Date.now() < end, 'worker health check never passed');
  }
  const w = worker;
  w.kill('SIGKILL');
  await new Promise((r) => w.once('exit', r));
  assert.equal(await runHealthcheck(s.worker.healthcheck.test, from, port), 1, 'a dead worker fails its health check');
});
