// One config, one logger: every variable is read and checked in src/config, a bad
// value stops the process with the variable's name, and the parts that used to
// read process.env themselves now follow the configuration they are given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, PROJECT_ROOT, ffmpegSettings, loadConfig } from '../src/config/index.ts';
import { startService } from '../src/runtime.ts';
import { configureFfmpeg, ffmpegVersion } from '../src/video/ffmpeg.ts';

const CLI = path.join(PROJECT_ROOT, 'bin/kasane.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kasane-config-test-'));
const base = { KASANE_VAR_DIR: tmp, KASANE_API_KEYS: 'config-test-key-0123456789' };

test('a bad value stops startup with a message naming the variable, never a silent default', () => {
  const bad: Record<string, string> = {
    KASANE_FFMPEG_NICE: 'high',
    KASANE_FFMPEG_SCHED: 'idel',
    KASANE_WORKER_NICE: '-5',
    LOG_LEVEL: 'verbose',
    KASANE_IMAGE_ALLOW_PRIVATE: 'yes',
    KASANE_URL: 'api.example.jp',
    PUBLIC_URL: 'ftp://x',
    KASANE_METRICS_PORT: '9464x',
  };
  for (const [name, value] of Object.entries(bad)) {
    assert.throws(() => loadConfig({ ...base, [name]: value }), (e: Error) => e instanceof ConfigError && e.message.startsWith(`${name} `) && e.message.includes(`"${value}"`), name);
  }
  assert.throws(() => ffmpegSettings({ KASANE_FFMPEG_NICE: '20' }), /KASANE_FFMPEG_NICE must be an integer from 0 to 19, got "20"/);

  // What an operator sees: the process exits at once and says which variable is wrong.
  const run = spawnSync(process.execPath, [CLI, 'worker'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...base, KASANE_FFMPEG_NICE: 'high' } });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /configuration: KASANE_FFMPEG_NICE must be an integer from 0 to 19, got "high"/);
});

test('ffmpeg and the embedded Redis follow the configuration a service is started with, not process.env', async () => {
  // A stand-in ffmpeg that only answers -version: the version recorded with templates comes from it.
  const fake = path.join(tmp, 'fake-ffmpeg');
  writeFileSync(fake, '#!/bin/sh\necho "ffmpeg version kasane-config-test"\n');
  chmodSync(fake, 0o755);
  const env = { ...base, PORT: '0', HOST: '127.0.0.1', KASANE_STORAGE_DIR: path.join(tmp, 'storage'), KASANE_SIGNING_KEYS: 'k1:config-test-signing-0123456789', KASANE_CONTENT_SECRET: 'config-test-content-0123456789' };
  const svc = await startService({ api: false, worker: false, env: { ...env, FFMPEG_PATH: fake }, logger: false });
  try {
    assert.equal(await ffmpegVersion(), 'ffmpeg version kasane-config-test');
  } finally {
    await svc.close();
    configureFfmpeg(ffmpegSettings());
  }
  await assert.rejects(startService({ api: false, worker: false, env: { ...env, KASANE_VAR_DIR: path.join(tmp, 'v2'), REDIS_SERVER_PATH: path.join(tmp, 'no-such-redis-server') }, logger: false }), /redis-server/);
});

test('CLI progress is levelled JSON from the one logger on stderr, filtered by LOG_LEVEL; KASANE_URL picks the API', () => {
  const dir = path.join(tmp, 'pkg');
  const env = { ...process.env, ...base, KASANE_URL: 'http://127.0.0.1:9/' };
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'template.json'), '{}');
  // Port 9 (discard) refuses the connection: the upload fails after the progress line.
  const info = spawnSync(process.execPath, [CLI, 'template', 'push', dir], { encoding: 'utf8', timeout: 60_000, env });
  assert.equal(info.status, 1);
  const line = info.stderr.split('\n').find((l) => l.includes('uploading template package'));
  assert.ok(line, info.stderr);
  const entry = JSON.parse(line);
  assert.equal(entry.level, 30);
  assert.equal(entry.name, 'cli');
  assert.equal(entry.url, 'http://127.0.0.1:9');
  assert.equal(entry.files, 1);
  const quiet = spawnSync(process.execPath, [CLI, 'template', 'push', dir], { encoding: 'utf8', timeout: 60_000, env: { ...env, LOG_LEVEL: 'warn' } });
  assert.equal(quiet.status, 1);
  assert.doesNotMatch(quiet.stderr, /uploading/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
