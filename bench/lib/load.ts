// Open-loop load at a fixed rate: requests are sent on schedule whatever the
// previous ones are doing, so a slow server cannot slow the load down and hide
// its own latency (no coordinated omission). Latency is measured from the
// scheduled send time.
import http from 'node:http';

export interface LoadResult {
  sent: number;
  ok: number;
  errors: Record<string, number>;
  latenciesMs: number[];
  achievedRps: number;
  /** Worst lag of the generator behind schedule, to show it kept up. */
  maxSendLagMs: number;
}

export async function fixedRateLoad(opts: {
  url: string;
  headers: Record<string, string>;
  rps: number;
  seconds: number;
  body: (i: number) => string;
  expectStatus: number;
}): Promise<LoadResult> {
  const u = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(opts.rps * opts.seconds);
  const interval = 1000 / opts.rps;
  const latencies: number[] = [];
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
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { ...opts.headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => {
          inflight--;
          latencies.push(performance.now() - scheduled);
          if (res.statusCode === opts.expectStatus) ok++;
          else errors[String(res.statusCode)] = (errors[String(res.statusCode)] ?? 0) + 1;
        });
      },
    );
    req.on('error', (e) => {
      inflight--;
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
        maxLag = Math.max(maxLag, now - scheduled);
        fire(sent, scheduled);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  const sendEnd = performance.now();
  while (inflight > 0 && performance.now() - sendEnd < 30_000) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();
  return { sent, ok, errors, latenciesMs: latencies, achievedRps: sent / ((sendEnd - start) / 1000), maxSendLagMs: maxLag };
}
