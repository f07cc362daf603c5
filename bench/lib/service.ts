// The compiled API and a worker as separate processes on a fresh var dir (embedded
// Redis), sharing bench/.cache/storage, with bench-ref (prepared by `npm run bench`)
// registered by uploading it: the start of the issue-9 benchmarks (hooks, events).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/index.ts';
import { startKasane, type Proc } from './procs.ts';
import { sleep } from './stats.ts';

export interface BenchService {
  base: string;
  varDir: string;
  api: Proc;
  worker: Proc;
  /** Authorization + JSON content type for the API. */
  json: Record<string, string>;
  stop(): Promise<void>;
}

export async function startBenchService(name: string, extraEnv: Record<string, string> = {}, workerConcurrency = 1): Promise<BenchService> {
  const varDir = path.join(os.tmpdir(), `kasane-${name}-${process.pid}`);
  mkdirSync(varDir, { recursive: true });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const base = `http://127.0.0.1:${port}`;
  const env = { PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, KASANE_VAR_DIR: varDir, KASANE_STORAGE_DIR: path.join(PROJECT_ROOT, 'bench/.cache/storage'), LOG_LEVEL: 'warn', ...extraEnv };
  const api = startKasane('api', env);
  let worker: Proc | undefined;
  const stop = async () => {
    await worker?.stop();
    await api.stop();
    rmSync(varDir, { recursive: true, force: true });
  };
  try {
    while (!(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) await sleep(100);
    // After the API: it owns the embedded Redis the worker connects to.
    worker = startKasane('worker', { ...env, KASANE_WORKER_CONCURRENCY: String(workerConcurrency) });
    const auth = `Bearer ${readFileSync(path.join(varDir, 'api-key'), 'utf8').trim()}`;
    const { packageFiles } = await import('../../src/templates/prepare.ts');
    const { zipFiles } = await import('../../src/templates/package/zip-writer.ts');
    const dir = path.join(PROJECT_ROOT, 'bench/.cache/templates/bench-ref');
    const zip = await zipFiles((await packageFiles(dir)).map((f) => ({ name: f, data: readFileSync(path.join(dir, f)) })));
    const form = new FormData();
    form.append('package', new Blob([new Uint8Array(zip)]), 'p.zip');
    const up = await fetch(`${base}/v1/templates?wait=true`, { method: 'POST', headers: { authorization: auth }, body: form });
    if (!up.ok) throw new Error(`upload: ${up.status} ${await up.text()}`);
    await up.json();
    return { base, varDir, api, worker, json: { authorization: auth, 'content-type': 'application/json' }, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** bench/results/<name>-<date>.json: the run's figures, cited by bench/README.md. */
export function writeResult(name: string, result: unknown): void {
  const file = path.join(PROJECT_ROOT, 'bench/results', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
  console.error(`written: ${path.relative(PROJECT_ROOT, file)}`);
}
