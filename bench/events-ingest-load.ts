// The beacon load generator in its own process (bench/events-ingest.ts starts it).
// argv[2]: JSON {url, tokensFile, rps, seconds, warmupSeconds}; prints a LoadResult as JSON.
// Request i goes to render i mod R and is that render's (i div R)-th step of a viewing
// (started, 25, 50, 75 %, completed, CTA, replayed): what pages watched to the end report.
import { readFileSync } from 'node:fs';
import { fixedRateLoad } from './lib/load.ts';

const o = JSON.parse(process.argv[2] ?? '{}') as { url: string; tokensFile: string; rps: number; seconds: number; warmupSeconds: number };
const tokens = JSON.parse(readFileSync(o.tokensFile, 'utf8')) as string[];
const STEPS = [{ type: 'video.started' }, { type: 'video.progress', percent: 25 }, { type: 'video.progress', percent: 50 }, { type: 'video.progress', percent: 75 }, { type: 'video.completed' }, { type: 'cta.clicked' }, { type: 'video.replayed' }].map((b) => JSON.stringify(b));
const R = tokens.length;
const result = await fixedRateLoad({
  url: o.url,
  // sendBeacon(url, string) sends text/plain.
  headers: { 'content-type': 'text/plain;charset=UTF-8' },
  rps: o.rps,
  seconds: o.seconds,
  warmupSeconds: o.warmupSeconds,
  expectStatus: 204,
  pathFor: (i) => `/v/${tokens[i % R]}/events`,
  body: (i) => STEPS[Math.floor(i / R) % STEPS.length]!,
});
process.stdout.write(JSON.stringify(result));
