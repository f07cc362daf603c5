// Issue 13 §3, the capacity table (docs/capacity.md): how many cores a campaign needs at
// 0 % stalls, from a measured render rate (frames per CPU-second of the whole render:
// worker + ffmpeg, from bench/campaign.ts's JSON) and the campaign's shape (the same
// generator as bench/campaign.ts, at full scale and real time).
//
// Every personal segment is a job: released when its render can start (lazy: the open;
// eager: the send), due when the viewer reaches it (open + startup + its start time;
// with the browser fallback: open + --fallback-due seconds, since nobody waits on it).
// The cores are modelled as one processor of rate cores × r frames/s serving jobs
// earliest deadline first (what the worker's deadline-first priorities approximate);
// such a processor meets every deadline iff for every interval [a, d] the work released
// at or after a and due by d fits in (d − a) — so the cores needed are the largest
// demand(a, d) / ((d − a) × r) over the campaign (intervals up to --horizon seconds).
// Optimistic where one render cannot use many cores at once (x264 threads scale to ~2)
// and where queueing, Redis and HTTP add latency; see docs/capacity.md.
//
//   npx tsx bench/capacity.ts --fps 158.5 [--opens-per-hour 10000] [--open-rate 0.3]
import { parseArgs } from 'node:util';
import { campaignContacts, densestWindow, shapeFromOptions, type Contact } from './lib/campaign-shape.ts';

const { values: opt } = parseArgs({
  options: {
    fps: { type: 'string' }, // frames per CPU-second, measured
    'opens-per-hour': { type: 'string', default: '10000' },
    'open-rate': { type: 'string', default: '0.3' },
    'send-minutes': { type: 'string', default: '20' },
    'decay-hours': { type: 'string', default: '1.5' },
    'line-at-hours': { type: 'string', default: '1' },
    'line-share': { type: 'string', default: '0.35' },
    'line-minutes': { type: 'string', default: '10' },
    hours: { type: 'string', default: '6' },
    startup: { type: 'string', default: '0.5' },
    'fallback-due': { type: 'string', default: '300' },
    horizon: { type: 'string', default: '60' },
    // bench-ref: personal segments as [start s, frames]
    segments: { type: 'string', default: '2:120,10:120,20:180' },
    seed: { type: 'string', default: '13' },
  },
});

interface Job {
  release: number;
  due: number;
  frames: number;
}

const segs = opt.segments!.split(',').map((s) => s.split(':').map(Number) as [number, number]);
const framesPerView = segs.reduce((n, [, f]) => n + f, 0);

const shape = shapeFromOptions(opt);
const campaign = (sends: number) => campaignContacts(shape, sends);
const busiestHour = (times: number[]) => densestWindow(times, 3600);

/** Sends needed for the busiest hour to hold the target opens (the curve's shape is fixed). */
function sendsFor(opensPerHour: number): number {
  const probe = 20000;
  const peak = busiestHour(campaign(probe).flatMap((c) => (c.openAt === undefined ? [] : [c.openAt])));
  return Math.round((probe * opensPerHour) / peak);
}

/** Largest demand(a, d) / (d − a) in frames per second over intervals up to the horizon. */
function requiredRate(jobs: Job[]): number {
  const byRelease = [...jobs].sort((a, b) => a.release - b.release);
  let best = 0;
  const span = Math.max(...jobs.map((j) => j.due - j.release), 0);
  const horizon = Math.max(Number(opt.horizon), 2 * span);
  for (let i = 0; i < byRelease.length; i++) {
    const a = byRelease[i]!.release;
    if (i > 0 && byRelease[i - 1]!.release === a) continue;
    // Jobs released at or after a, due within the horizon, by deadline.
    const window: Job[] = [];
    for (let k = i; k < byRelease.length && byRelease[k]!.release < a + horizon; k++) if (byRelease[k]!.due <= a + horizon) window.push(byRelease[k]!);
    window.sort((x, y) => x.due - y.due);
    let demand = 0;
    for (const j of window) {
      demand += j.frames;
      best = Math.max(best, demand / Math.max(0.001, j.due - a));
    }
  }
  return best;
}

/** Lazy: every opened render's segments, released at the open, due when the viewer reaches them. */
function lazyJobs(contacts: Contact[], fallback: boolean): Job[] {
  const jobs: Job[] = [];
  for (const c of contacts) {
    if (c.openAt === undefined) continue; // never opened: never rendered
    for (const [start, frames] of segs) jobs.push({ release: c.openAt, due: c.openAt + (fallback ? Number(opt['fallback-due']) : Number(opt.startup) + start), frames });
  }
  return jobs;
}

/**
 * Eager: the service cannot know who opens when, so renders go in send order (FIFO) at
 * the full rate; an open that comes before its render is done moves that render up
 * (a viewer-priority job, as the API does), due like a lazy one. Feasible at rate R when
 * those moved-up jobs alone meet their deadlines at R (they preempt the backlog). The
 * smallest feasible R, by bisection.
 */
function eagerRate(contacts: Contact[], fallback: boolean): number {
  const feasible = (rate: number) => {
    let t = 0;
    const bumped: Contact[] = [];
    for (const c of contacts) {
      t = Math.max(t, c.sendAt) + framesPerView / rate;
      if (c.openAt !== undefined && c.openAt < t) bumped.push(c);
    }
    return requiredRate(lazyJobs(bumped, fallback)) <= rate;
  };
  let lo = 1;
  let hi = 1e6;
  while (hi / lo > 1.02) {
    const mid = Math.sqrt(lo * hi);
    if (feasible(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

const fps = Number(opt.fps);
if (!fps) throw new Error('--fps: frames per CPU-second, measured (bench/campaign.ts: frames_per_worker_cpu_s)');
const target = Number(opt['opens-per-hour']);
const sends = sendsFor(target);
const contacts = campaign(sends);
const opens = contacts.filter((c) => c.openAt !== undefined).length;
console.log(`${sends} sends over ${opt['send-minutes']} min, open rate ${opt['open-rate']}: ${opens} opens in ${opt.hours} h, busiest hour ${busiestHour(contacts.flatMap((c) => (c.openAt === undefined ? [] : [c.openAt])))}; ${framesPerView} personal frames per view; ${fps} frames per CPU-s`);
const avgCores = (frames: number, seconds: number) => frames / seconds / fps;
const rows: string[] = [];
for (const mode of ['lazy', 'eager'] as const) {
  const rendered = mode === 'lazy' ? opens : sends;
  const busiest = mode === 'lazy' ? target : Math.round(sends / (Number(opt['send-minutes']) / 60));
  const need = (fallback: boolean) => (mode === 'lazy' ? requiredRate(lazyJobs(contacts, fallback)) : eagerRate(contacts, fallback)) / fps;
  rows.push(`| ${mode} | ${rendered} | ${avgCores(rendered * framesPerView, Number(opt.hours) * 3600).toFixed(2)} | ${avgCores(busiest * framesPerView, 3600).toFixed(1)} | ${need(false).toFixed(1)} | ${need(true).toFixed(1)} |`);
}
console.log(`\n| mode | renders encoded | cores, average over ${opt.hours} h | cores, busiest hour (lazy: opens; eager: the send) | cores for 0 % stalls, server stream alone | cores for 0 % stalls with the browser fallback (every render done ≤ ${opt['fallback-due']} s after its open) |`);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
