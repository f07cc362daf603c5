// The accept-latency load generator in its own process: its timers and GC are not
// disturbed by the benchmark driver's heap (thousands of results, SSIM logs).
// argv[2]: JSON {url, headers, rps, seconds, warmupSeconds, template}; prints a LoadResult as JSON.
import { fixedRateLoad } from './lib/load.ts';
import { benchItemSet } from './fixtures.ts';

const o = JSON.parse(process.argv[2] ?? '{}') as { url: string; headers: Record<string, string>; rps: number; seconds: number; warmupSeconds: number; template: string };
const result = await fixedRateLoad({
  url: o.url,
  headers: o.headers,
  rps: o.rps,
  seconds: o.seconds,
  warmupSeconds: o.warmupSeconds,
  expectStatus: 201,
  body: (i) => JSON.stringify({ template: o.template, data: { name: `負荷 ${process.pid}-${i}`, amount: i, items: benchItemSet(i) } }),
});
process.stdout.write(JSON.stringify(result));
