// Service processes for the benchmark: the API and the worker run as separate
// `kasane` processes (as in production), so their memory and CPU are measured apart.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/index.ts';
import { sleep } from './stats.ts';

export interface Proc {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Runs the compiled build (`npm run build`, as in production), not tsx. */
export function startKasane(cmd: 'api' | 'worker', env: NodeJS.ProcessEnv): Proc {
  const cli = path.join(PROJECT_ROOT, 'build/src/cli.js');
  if (!existsSync(cli)) throw new Error('no build: run `npm run build` first (npm run bench does)');
  // The same V8 flag as the Dockerfile's NODE_OPTIONS.
  const child = spawn(process.execPath, ['--max-semi-space-size=4', cli, cmd], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    child,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(15_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/** Peak resident set of one process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let kids = '';
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.split(/\s+/).filter(Boolean).map(Number)) out.push(k, ...descendants(k));
  }
  return out;
}

/** Samples a process tree's total RSS (the worker and its ffmpeg children) every 50 ms. */
export function treeRssSampler(pid: number): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    const total = [pid, ...descendants(pid)].reduce((s, p) => s + rssKb(p), 0);
    peak = Math.max(peak, total);
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return peak / 1024;
    },
  };
}
