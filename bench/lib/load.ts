// Open-loop load at a fixed rate: requests are sent on schedule whatever the
// previous ones are doing, so a slow server cannot slow the load down and hide
// its own latency (no coordinated omission). Latency is measured from the
// scheduled send time. The first `warmupSeconds` run at the same rate but are
// reported apart: they include TCP connects and V8 compiling the hot paths.
import http from 'node:http';
import { pct as pctOf } from './stats.ts';

export interface LoadResult {
  sent: number;
  ok: number;
  errors: Record<string, number>;
  latenciesMs: number[];
  /** Send time (ms since start) of each latency, same order. */
  sentAtMs: number[];
  achievedRps: number;
  /** Worst lag of the generator behind schedule, to show it kept up. */
  maxSendLagMs: number;
  warmup: { sent: number; p99Ms: number; maxMs: number };
}

export async function fixedRateLoad(opts: {
  url: string;
  headers: Record<string, string>;
  rps: number;
  seconds: number;
  warmupSeconds?: number;
  body: (i: number) => string;
  /** Per-request headers on top of `headers` (e.g. a signature over that request's body). */
  headersFor?: (i: number) => Record<string, string>;
  /** Per-request path instead of `url`'s (e.g. a viewer token in it); same host. */
  pathFor?: (i: number) => string;
  expectStatus: number;
}): Promise<LoadResult> {
  const u = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const warm = Math.round(opts.rps * (opts.warmupSeconds ?? 0));
  const total = warm + Math.round(opts.rps * opts.seconds);
  const warmLat: number[] = [];
  const interval = 1000 / opts.rps;
  const latencies: number[] = [];
  const sentAt: number[] = [];
  const errors: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let maxLag = 0;
  let inflight = 0;
  const start = performance.now();
  const fire = (i: number, scheduled: number) => {
    const body = opts.body(i);
    inflight++;
    const req = http.request(
      { host: u.hostname, port: u.port, path: opts.pathFor?.(i) ?? u.pathname, method: 'POST', agent, headers: { ...opts.headers, ...opts.headersFor?.(i), 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => {
          inflight--;
          if (i < warm) return void warmLat.push(performance.now() - scheduled);
          latencies.push(performance.now() - scheduled);
          sentAt.push(scheduled - start);
          if (res.statusCode === opts.expectStatus) ok++;
          else errors[String(res.statusCode)] = (errors[String(res.statusCode)] ?? 0) + 1;
        });
      },
    );
    req.on('error', (e) => {
      inflight--;
      if (i < warm) return;
      errors[e.message] = (errors[e.message] ?? 0) + 1;
    });
    req.end(body);
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total) {
        const scheduled = start + sent * interval;
        if (scheduled > now) break;
        if (sent >= warm) maxLag = Math.max(maxLag, now - scheduled);
        fire(sent, scheduled);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  const sendEnd = performance.now();
  const measuredStart = start + warm * interval;
  while (inflight > 0 && performance.now() - sendEnd < 30_000) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();
  return {
    sent: sent - warm,
    ok,
    errors,
    latenciesMs: latencies, sentAtMs: sentAt, achievedRps: (sent - warm) / ((sendEnd - measuredStart) / 1000),
    maxSendLagMs: maxLag,
    warmup: { sent: warm, p99Ms: pctOf(warmLat, 99), maxMs: warmLat.length ? Math.max(...warmLat) : NaN },
  };
}
