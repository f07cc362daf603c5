// MP4 remux (issue 10 §2: ≤ 1 s for a 30 s video): the time /v/<token>/video.mp4 spends
// making the MP4 the first time (cold: concat of the segments → ffmpeg -c copy +faststart →
// atomic write into storage) and afterwards (cached: storage lookup + reading the file).
//   npx tsx bench/mp4.ts [--runs 10] [--template bench-ref]
// Reads the prepared template's segments from bench/.cache/storage (run bench/run.ts once to
// make them); the personal positions use the template's own segments, which have the same
// size and structure as spliced ones. Writes MP4s only into a temporary storage.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { LocalStorage } from '../src/storage/local.ts';
import type { TemplatePlan } from '../src/templates/plan.ts';
import { ensureMp4, mp4Key } from '../src/viewer/mp4.ts';
import { writeResult } from './lib/service.ts';
import { median, pct, round } from './lib/stats.ts';

const { values: o } = parseArgs({ options: { runs: { type: 'string', default: '10' }, template: { type: 'string', multiple: true } } });
const RUNS = Number(o.runs);
const TEMPLATES = o.template ?? ['bench-ref', 'bench-ref-5min'];
const CACHE = path.join(PROJECT_ROOT, 'bench/.cache/storage');

/** The most recently prepared version of a template in the bench cache. */
function latestPlan(id: string): TemplatePlan {
  const dir = path.join(CACHE, 'templates', id);
  const plans = readdirSync(dir)
    .filter((v) => existsSync(path.join(dir, v, 'plan.json')))
    .map((v) => JSON.parse(readFileSync(path.join(dir, v, 'plan.json'), 'utf8')) as TemplatePlan);
  if (!plans.length) throw new Error(`no prepared ${id} in bench/.cache: run bench/run.ts once`);
  return plans.sort((a, b) => b.preparedAt.localeCompare(a.preparedAt))[0]!;
}

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-bench-mp4-'));
// Segments read from the cache through a link; MP4s written only under root/mp4.
symlinkSync(path.join(CACHE, 'templates'), path.join(root, 'templates'));
const storage = new LocalStorage(root);
const results: Record<string, unknown> = {};
try {
  for (const id of TEMPLATES) {
    const plan = latestPlan(id);
    const keys = plan.segments.map((s) => s.key);
    const key = mp4Key(keys);
    const cold: number[] = [];
    const cached: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      await storage.delete(key);
      let t0 = performance.now();
      await ensureMp4(storage, keys, key);
      cold.push(performance.now() - t0);
      t0 = performance.now();
      await ensureMp4(storage, keys, key);
      bytes = (await storage.get(key))!.length;
      cached.push(performance.now() - t0);
    }
    const row = {
      duration_s: plan.duration,
      size: `${plan.width}x${plan.height}`,
      segments: keys.length,
      mp4_mb: round(bytes / 1048576),
      cold_ms: { p50: round(median(cold), 1), p95: round(pct(cold, 95), 1), max: round(Math.max(...cold), 1) },
      cached_ms: { p50: round(median(cached), 1), p95: round(pct(cached, 95), 1), max: round(Math.max(...cached), 1) },
    };
    results[id] = row;
    console.log(id, JSON.stringify(row));
  }
  writeResult('mp4', { runs: RUNS, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => round(x)), results });
} finally {
  rmSync(root, { recursive: true, force: true });
}
