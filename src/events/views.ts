// Views that count: per render, when each step was first seen (opened, started,
// 25/50/75 %, completed, CTA, replay) and how far the viewer got; per template version,
// a funnel counting each render once per step. The first-seen write is the dedup: a
// step is counted in the funnel only by the call whose HSETNX won, in the same script.
// Facts live in the render's own hash (they expire with it); funnels have no expiry, and
// beside them per-day funnels (one hash per template per UTC day) answer "the last N days"
// and expire a little after the longest window asked of them.
// Nothing about the viewer is kept: no cookie, no address, no user agent.
import type { Redis } from 'ioredis';
import { renderKey, type RenderMeta } from '../render/records.ts';
import { PROGRESS_MARKS, VIEWER_EVENTS, type ViewerEventType } from './types.ts';
import { isCrawler } from './crawlers.ts';

/** Funnel steps, in order; `issued` counts accepted renders, the others first sightings. */
export const FUNNEL = ['issued', 'opened', 'started', 'progress_25', 'progress_50', 'progress_75', 'completed', 'cta_clicked', 'replayed'] as const;
export type Step = (typeof FUNNEL)[number];

/** Beacon posts a render's token may make per window before 429 (a page sends about ten per play). */
export const BEACON_LIMIT = 60;
export const BEACON_WINDOW_SEC = 60;
/** Each (render, type, percent) is forwarded to webhook endpoints at most once per this. */
const FORWARD_WINDOW_SEC = 60;

/** The longest window `templateStats` sums over, in days. */
export const STATS_MAX_DAYS = 90;
/** Per-day funnels outlive the longest window by two days (time zones, a window read at midnight). */
const DAY_TTL_SEC = (STATS_MAX_DAYS + 2) * 86_400;

const statsKey = (templateId: string) => `kasane:stats:${templateId}`;
/** UTC day, YYYY-MM-DD. */
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayStatsKey = (templateId: string, day: string) => `kasane:stats:${templateId}:day:${day}`;
const rateKey = (renderId: string) => `kasane:beacon:rate:${renderId}`;
const forwardKey = (renderId: string, type: string, percent?: number) => `kasane:wh:seen:${renderId}:${type}${percent !== undefined ? `:${percent}` : ''}`;

/** A render's short-lived viewing keys outside its hash (beacon allowance, forward windows), for deletion. */
export function renderViewKeys(renderId: string): string[] {
  const keys = [rateKey(renderId)];
  for (const type of VIEWER_EVENTS) {
    if (type === 'video.progress') for (const p of PROGRESS_MARKS) keys.push(forwardKey(renderId, type, p));
    else keys.push(forwardKey(renderId, type));
  }
  return keys;
}

// KEYS: render hash, stats hash, forward key, today's stats hash. ARGV: step, now ms, version,
// percent reached ('' = none), the day hash's time to live.
// Returns {recorded 0|1, forward 0|1}; 0,0 when the render is gone (never recreate its hash).
const RECORD_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
if redis.call('HSETNX', KEYS[1], 'v:' .. ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3] .. ':' .. ARGV[1], 1)
  redis.call('HINCRBY', KEYS[4], ARGV[3] .. ':' .. ARGV[1], 1)
  redis.call('EXPIRE', KEYS[4], ARGV[5])
end
if ARGV[1] == 'replayed' then redis.call('HINCRBY', KEYS[1], 'v:replays', 1) end
if ARGV[1] == 'opened' then redis.call('HINCRBY', KEYS[1], 'v:opens', 1) end
if ARGV[4] ~= '' and tonumber(ARGV[4]) > tonumber(redis.call('HGET', KEYS[1], 'v:furthest') or '-1') then
  redis.call('HSET', KEYS[1], 'v:furthest', ARGV[4])
end
local fwd = 0
if KEYS[3] ~= KEYS[1] and redis.call('SET', KEYS[3], '1', 'EX', ${FORWARD_WINDOW_SEC}, 'NX') then fwd = 1 end
return {1, fwd}`;

// KEYS: render hash, rate key. The render's meta and, from a fixed window per render, 0 when
// this post is allowed, else the seconds until the window ends; nil when the render is gone.
// One round trip for what every beacon needs before its body is read.
const GATE_LUA = `
local m = redis.call('HGET', KEYS[1], 'meta')
if not m then return nil end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
if n > tonumber(ARGV[1]) then local t = redis.call('TTL', KEYS[2]) if t < 1 then t = 1 end return {m, t} end
return {m, 0}`;

type Scripted = Redis & {
  kasaneViewRecord(render: string, stats: string, forward: string, day: string, step: string, now: string, version: string, percent: string, dayTtl: string): Promise<[number, number]>;
  kasaneBeaconGate(render: string, rate: string, limit: string, window: string): Promise<[string, number] | null>;
};

function scripted(redis: Redis): Scripted {
  if (!('kasaneViewRecord' in redis)) {
    redis.defineCommand('kasaneViewRecord', { numberOfKeys: 4, lua: RECORD_LUA });
    redis.defineCommand('kasaneBeaconGate', { numberOfKeys: 2, lua: GATE_LUA });
  }
  return redis as Scripted;
}

/** The funnel step a beacon is, and how far into the video it shows the viewer got. */
function stepOf(type: ViewerEventType, percent?: number): { step: Step; reached?: number } {
  switch (type) {
    case 'video.started': return { step: 'started', reached: 0 };
    case 'video.progress': return { step: `progress_${percent}` as Step, reached: percent };
    case 'video.completed': return { step: 'completed', reached: 100 };
    case 'cta.clicked': return { step: 'cta_clicked' };
    case 'video.replayed': return { step: 'replayed' };
  }
}

/**
 * Before a beacon's body is read: the render's meta (null when it is gone) and 0 when this
 * post is within the render's allowance, else the seconds to wait (Retry-After).
 */
export async function beaconGate(redis: Redis, renderId: string): Promise<{ meta: RenderMeta; retryAfter: number } | null> {
  const r = await scripted(redis).kasaneBeaconGate(renderKey(renderId), rateKey(renderId), String(BEACON_LIMIT), String(BEACON_WINDOW_SEC));
  return r ? { meta: JSON.parse(r[0]) as RenderMeta, retryAfter: r[1] } : null;
}

/** Records a beacon; true when it should go out to webhook endpoints (first in its window). */
export async function recordBeacon(redis: Redis, meta: RenderMeta, type: ViewerEventType, percent?: number): Promise<boolean> {
  const { step, reached } = stepOf(type, percent);
  const now = Date.now();
  const [, forward] = await scripted(redis).kasaneViewRecord(renderKey(meta.id), statsKey(meta.templateId), forwardKey(meta.id, type, percent), dayStatsKey(meta.templateId, dayOf(now)), step, String(now), meta.version, reached === undefined ? '' : String(reached), String(DAY_TTL_SEC));
  return forward === 1;
}

/**
 * The watch page was served: an open, unless a crawler, a prefetch or a HEAD asked.
 * Never throws — counting must not fail the page.
 */
export async function recordOpen(redis: Redis, meta: RenderMeta, req: { method: string; headers: Record<string, string | string[] | undefined> }): Promise<void> {
  const ua = req.headers['user-agent'];
  const purpose = req.headers['sec-purpose'] ?? req.headers['purpose'];
  if (req.method !== 'GET' || isCrawler(typeof ua === 'string' ? ua : undefined) || (typeof purpose === 'string' && /prefetch|prerender/i.test(purpose))) return;
  const key = renderKey(meta.id);
  // The forward key is the render key itself: the script skips forwarding for it.
  const now = Date.now();
  await scripted(redis).kasaneViewRecord(key, statsKey(meta.templateId), key, dayStatsKey(meta.templateId, dayOf(now)), 'opened', String(now), meta.version, '', String(DAY_TTL_SEC)).catch(() => undefined);
}

/** A render was accepted for the first time: one more link issued for its template version. */
export async function countIssued(redis: Redis, meta: Pick<RenderMeta, 'templateId' | 'version'>): Promise<void> {
  const day = dayStatsKey(meta.templateId, dayOf(Date.now()));
  await redis.multi().hincrby(statsKey(meta.templateId), `${meta.version}:issued`, 1).hincrby(day, `${meta.version}:issued`, 1).expire(day, DAY_TTL_SEC).exec();
}

export interface RenderViews {
  opened_at: string | null;
  opens: number;
  started_at: string | null;
  progress_25_at: string | null;
  progress_50_at: string | null;
  progress_75_at: string | null;
  completed_at: string | null;
  cta_clicked_at: string | null;
  replayed_at: string | null;
  replays: number;
  /** 0-100; null until the video was started. */
  furthest_percent: number | null;
}

/** A render's viewing facts, read from its hash fields (HGETALL of the render). */
export function renderViews(h: Record<string, string>): RenderViews {
  const at = (step: Step) => (h[`v:${step}`] ? new Date(Number(h[`v:${step}`])).toISOString() : null);
  return {
    opened_at: at('opened'),
    opens: Number(h['v:opens'] ?? 0),
    started_at: at('started'),
    progress_25_at: at('progress_25'),
    progress_50_at: at('progress_50'),
    progress_75_at: at('progress_75'),
    completed_at: at('completed'),
    cta_clicked_at: at('cta_clicked'),
    replayed_at: at('replayed'),
    replays: Number(h['v:replays'] ?? 0),
    furthest_percent: h['v:furthest'] !== undefined ? Number(h['v:furthest']) : null,
  };
}

export async function readRenderViews(redis: Redis, renderId: string): Promise<RenderViews> {
  const fields = ['opened', 'started', 'progress_25', 'progress_50', 'progress_75', 'completed', 'cta_clicked', 'replayed', 'opens', 'replays', 'furthest'].map((f) => `v:${f}`);
  const vals = await redis.hmget(renderKey(renderId), ...fields);
  const h: Record<string, string> = {};
  fields.forEach((f, i) => { if (vals[i] !== null && vals[i] !== undefined) h[f] = vals[i]!; });
  return renderViews(h);
}

export type Counts = Record<Step, number>;

/** The main funnel the issue asks for, in order; ratios are each step over the one before and over links issued. */
const MAIN = ['issued', 'opened', 'started', 'progress_50', 'completed', 'cta_clicked'] as const;

export interface TemplateStats {
  template: string;
  version: string | null;
  /** Only for a window: its length and first UTC day (YYYY-MM-DD); the window ends today. */
  days?: number;
  since?: string;
  counts: Counts;
  funnel: { step: Step; count: number; of_previous: number | null; of_issued: number | null }[];
  versions?: { version: string; counts: Counts; funnel: TemplateStats['funnel'] }[];
}

const zero = (): Counts => Object.fromEntries(FUNNEL.map((s) => [s, 0])) as Counts;
const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);

function funnel(c: Counts): TemplateStats['funnel'] {
  return MAIN.map((step, i) => ({ step, count: c[step], of_previous: i === 0 ? null : ratio(c[step], c[MAIN[i - 1]!]), of_issued: i === 0 ? null : ratio(c[step], c.issued) }));
}

/**
 * Counts per version (all versions summed, plus each) or for one version: all time, or
 * over the last `days` UTC days including today (1..STATS_MAX_DAYS).
 */
export async function templateStats(redis: Redis, templateId: string, version?: string, days?: number, now = Date.now()): Promise<TemplateStats> {
  let hashes: Record<string, string>[];
  let window: { days: number; since: string } | undefined;
  if (days === undefined) hashes = [await redis.hgetall(statsKey(templateId))];
  else {
    const n = Math.min(Math.max(1, Math.floor(days)), STATS_MAX_DAYS);
    const dayList = Array.from({ length: n }, (_, i) => dayOf(now - i * 86_400_000));
    const p = redis.pipeline();
    for (const d of dayList) p.hgetall(dayStatsKey(templateId, d));
    hashes = ((await p.exec()) ?? []).map(([err, h]) => {
      if (err) throw err;
      return h as Record<string, string>;
    });
    window = { days: n, since: dayList[n - 1]! };
  }
  const per = new Map<string, Counts>();
  for (const h of hashes) {
    for (const [field, n] of Object.entries(h)) {
      const sep = field.indexOf(':');
      const v = field.slice(0, sep);
      const step = field.slice(sep + 1) as Step;
      if (!FUNNEL.includes(step)) continue;
      if (!per.has(v)) per.set(v, zero());
      per.get(v)![step] += Number(n);
    }
  }
  if (version) {
    const c = per.get(version) ?? zero();
    return { template: templateId, version, ...window, counts: c, funnel: funnel(c) };
  }
  const total = zero();
  for (const c of per.values()) for (const s of FUNNEL) total[s] += c[s];
  const versions = [...per.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([v, c]) => ({ version: v, counts: c, funnel: funnel(c) }));
  return { template: templateId, version: null, ...window, counts: total, funnel: funnel(total), versions };
}
