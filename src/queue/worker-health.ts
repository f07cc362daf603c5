// `kasane worker` has no HTTP API: orchestrators (docker compose, Kubernetes) ask this
// tiny server whether the process is fit to work. 200 when Redis answers and the render
// worker is running, else 503; the body says which check failed, in the API's /healthz shape.
import http from 'node:http';
import type { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import type { Storage } from '../storage/storage.ts';
import { pingWithin } from './connection.ts';

export interface WorkerHealth {
  port: number;
  close(): Promise<void>;
}

export async function startWorkerHealth(opts: { port: number; host: string; redis: Redis; storage: Storage; worker: Worker }): Promise<WorkerHealth> {
  const check = async () => {
    const checks: Record<string, string> = {
      redis: await pingWithin(opts.redis, 2000),
      storage: await opts.storage.ping().then(() => 'ok', (e: Error) => e.message.split('\n')[0]!.slice(0, 200)),
      worker: opts.worker.isRunning() ? 'ok' : 'not running',
    };
    return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
  };
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'only GET /healthz is served here' } }));
      return;
    }
    void check().then((body) => res.writeHead(body.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
