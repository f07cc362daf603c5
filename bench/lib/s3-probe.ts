// Per-operation latency of S3Storage against s3rver, direct and through the latency proxy:
// what each storage call on a render's path costs (bench/storage.ts explains the totals).
//   node --import tsx bench/lib/s3-probe.ts [--delay-ms 5]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../src/config/index.ts';
import { FileCache } from '../../src/storage/cache.ts';
import { S3Storage } from '../../src/storage/s3.ts';
import { median, round } from './stats.ts';

const { values: o } = parseArgs({ options: { 'delay-ms': { type: 'string', default: '5' }, n: { type: 'string', default: '20' } } });
const dir = mkdtempSync(path.join(os.tmpdir(), 'kasane-s3-probe-'));
const proc = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/lib/s3rver-process.ts'), JSON.stringify({ dir: path.join(dir, 's3'), bucket: 'probe', delayMs: Number(o['delay-ms']) })], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const ports = await new Promise<{ port: number; proxyPort: number }>((r) => proc.stdout!.once('data', (b: Buffer) => r(JSON.parse(String(b)))));
try {
  const out: Record<string, Record<string, number>> = {};
  for (const [name, port] of [['direct', ports.port], [`+${o['delay-ms']}ms`, ports.proxyPort]] as const) {
    const s = new S3Storage({ bucket: 'probe', prefix: 'p', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }, new FileCache({ dir: path.join(dir, `cache-${name.replace(/\W/g, '')}`), maxBytes: 2 ** 30 }));
    const seg = Buffer.alloc(700_000, 7); // ~ a 720p personal segment
    await s.put('warm', seg);
    const t: Record<string, number[]> = { head: [], 'get 700 kB': [], 'put 700 kB': [], 'head miss': [] };
    const time = async (k: string, fn: () => Promise<unknown>) => {
      const a = performance.now();
      await fn();
      t[k]!.push(performance.now() - a);
    };
    for (let i = 0; i < Number(o.n); i++) {
      await time('head', () => s.head('warm'));
      await time('head miss', () => s.head(`none-${i}`));
      await time('get 700 kB', () => s.get('warm'));
      await time('put 700 kB', () => s.put(`w-${i}`, seg));
    }
    out[name] = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, round(median(v), 1)]));
  }
  console.log(JSON.stringify({ load1: round(os.loadavg()[0]!, 1), ms_median: out }));
} finally {
  proc.kill();
  rmSync(dir, { recursive: true, force: true });
}
