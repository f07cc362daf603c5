// How many storage round trips a render waits on: a tiny template (160×90, ultrafast:
// the encode takes milliseconds) rendered on S3 (s3rver) through a proxy that delays
// every chunk by --delay-ms each way, so the render's time is mostly waiting on storage.
// Render time ÷ round-trip time ≈ sequential round trips on the critical path.
//   npx tsx bench/storage-roundtrips.ts [--delay-ms 50] [--runs 5]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, loadConfig } from '../src/config/index.ts';
import { FileCache } from '../src/storage/cache.ts';
import { S3Storage } from '../src/storage/s3.ts';
import { prepareTemplate } from '../src/templates/prepare.ts';
import { drawContext, renderPersonalSegments, resolveInputs, segmentKeys } from '../src/render/personalize.ts';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { writeResult } from './lib/service.ts';
import { median, round } from './lib/stats.ts';

const { values: o } = parseArgs({ options: { 'delay-ms': { type: 'string', default: '50' }, runs: { type: 'string', default: '5' } } });
const DELAY = Number(o['delay-ms']);
const dir = mkdtempSync(path.join(os.tmpdir(), 'kasane-roundtrips-'));
const proc = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench/lib/s3rver-process.ts'), JSON.stringify({ dir: path.join(dir, 's3'), bucket: 'rt', delayMs: DELAY })], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const ports = await new Promise<{ port: number; proxyPort: number }>((r) => proc.stdout!.once('data', (b: Buffer) => r(JSON.parse(String(b)))));
const s3 = (port: number) => new S3Storage({ bucket: 'rt', prefix: 'k', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }, new FileCache({ dir: path.join(dir, 'cache'), maxBytes: 2 ** 30 }));
try {
  const pkg = path.join(dir, 'pkg');
  mkdirSync(pkg, { recursive: true });
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'color=c=0x808080:s=160x90:r=25', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path.join(pkg, 'base.mp4')], { timeoutMs: 60_000 });
  const box = { x: 4, y: 4, width: 150, height: 40 };
  // Three personalized segments (a text layer each) between shared ones: one pass, three splices.
  const text = (id: string, start: number) => ({ id, type: 'text', text: '{{name}}', start, end: start + 0.4, box, style: { fontSize: 16, color: '#ffffff' } });
  writeFileSync(path.join(pkg, 'template.json'), JSON.stringify({ id: 'rt', name: 'rt', video: { file: 'base.mp4' }, encoder: { preset: 'ultrafast' }, fields: { name: { type: 'string', required: true, maxLength: 8 } }, layers: [text('a', 0.4), text('b', 2.4), text('c', 4.4)] }));
  const plan = await prepareTemplate(pkg, s3(ports.port), { log: () => {} }); // prepared direct (fast); its cache holds the expanded mezzanines
  const storage = s3(ports.proxyPort);
  const ctx = drawContext(plan, storage, loadConfig().imageFetch);
  // The RTT through the proxy, as the SDK sees it (HEAD of a missing key).
  const rtt: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await storage.head(`none-${i}`);
    rtt.push(performance.now() - t);
  }
  const ms: number[] = [];
  for (let i = 0; i < Number(o.runs) + 1; i++) {
    const data = { name: `n${i}-${process.pid}` };
    const keys = segmentKeys(plan, resolveInputs(plan, data), Buffer.from('rt'));
    const t = performance.now();
    await renderPersonalSegments(plan, data, keys, storage, ctx);
    if (i > 0) ms.push(performance.now() - t); // the first warms fonts and the package
  }
  const direct: number[] = [];
  const dstore = s3(ports.port);
  const dctx = drawContext(plan, dstore, loadConfig().imageFetch);
  for (let i = 0; i < Number(o.runs); i++) {
    const data = { name: `d${i}-${process.pid}` };
    const t = performance.now();
    await renderPersonalSegments(plan, data, segmentKeys(plan, resolveInputs(plan, data), Buffer.from('rt')), dstore, dctx);
    direct.push(performance.now() - t);
  }
  const r = { delay_ms_each_way: DELAY, rtt_ms: round(median(rtt), 1), segments: plan.segments.filter((s) => s.kind === 'dynamic').length, render_ms_direct: round(median(direct), 0), render_ms_delayed: round(median(ms), 0), added_ms: round(median(ms) - median(direct), 0), round_trips_waited: round((median(ms) - median(direct)) / median(rtt), 1), runs: { delayed: ms.map((x) => round(x, 0)), direct: direct.map((x) => round(x, 0)) }, load1: round(os.loadavg()[0]!, 1) };
  console.log(JSON.stringify(r));
  writeResult('storage-roundtrips', r);
} finally {
  proc.kill();
  rmSync(dir, { recursive: true, force: true });
}
