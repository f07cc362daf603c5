#!/usr/bin/env node
// First step of `npm start` / `npm test` on a fresh machine: install what is
// missing (node modules, redis-server, and for tests Debian's chromium).
// Plain JavaScript on purpose: it must run before any dependency exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--test');
const say = (m) => console.error(`[setup] ${m}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
}

function have(bin, candidates) {
  if (candidates.some((p) => existsSync(p))) return true;
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

// 1. node modules: install when missing or older than package.json / the lockfile.
// `npm install`, not `npm ci`: with npm 11 and omit-lockfile-registry-resolved (as on
// our machines) `npm ci` rejects a lockfile that lacks other platforms' optional packages.
const marker = path.join(root, 'node_modules', '.package-lock.json');
const newer = (f) => existsSync(f) && statSync(f).mtimeMs > statSync(marker).mtimeMs + 1000;
if (!existsSync(marker) || newer(path.join(root, 'package.json')) || newer(path.join(root, 'package-lock.json'))) {
  say('installing node modules (npm install)…');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

// 2. system packages from Debian: redis-server always (the embedded Redis), chromium for browser tests.
const apt = [];
// Plain JS that runs before node_modules exist, so it cannot import src/config; it only
// asks whether an external Redis (REDIS_URL) makes the local redis-server unnecessary.
if (!process.env.REDIS_URL && !have('redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server'])) apt.push('redis-server');
if (forTests && !have('chromium', ['/usr/bin/chromium'])) apt.push('chromium');
if (apt.length) {
  const root_ = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = root_ ? [] : ['sudo', '-n'];
  say(`installing ${apt.join(', ')} with apt-get…`);
  try {
    const pre = sudo.length ? [sudo[0], [...sudo.slice(1), 'apt-get']] : ['apt-get', []];
    run(pre[0], [...pre[1], 'update', '-q'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    run(pre[0], [...pre[1], 'install', '-y', '-q', '--no-install-recommends', ...apt], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (e) {
    say(`could not install ${apt.join(', ')}: ${e.message}`);
    say(`install them yourself (apt-get install -y ${apt.join(' ')}), or set REDIS_URL to a running Redis.`);
    process.exit(1);
  }
}

// 3. the bundled ffmpeg must be executable (npm may skip its chmod script).
try {
  const ff = path.join(root, 'node_modules', '@ffmpeg-installer', 'linux-x64', 'ffmpeg');
  if (existsSync(ff)) execFileSync('chmod', ['u+x', ff]);
} catch {}
