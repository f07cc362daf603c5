// Wires the parts into a running service: Redis (embedded unless REDIS_URL),
// storage, workers and/or the HTTP API, and the bundled templates.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { QueueEvents, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config, type LogLevel } from './config/index.ts';
import { createLogger, silentLogger, type Logger } from './config/logger.ts';
import { configureFfmpeg } from './video/ffmpeg.ts';
import { countStorageErrors } from './storage/count-errors.ts';
import { setProcessRole, startMetricsServer, watchQueueDepth } from './metrics/index.ts';
import { openStorage } from './storage/open-storage.ts';
import type { Storage } from './storage/storage.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from './queue/embedded-redis.ts';
import { connect, bullConnection, type RedisTarget } from './queue/connection.ts';
import { TemplateRegistry } from './templates/registry.ts';
import { RenderStore } from './render/records.ts';
import { PreviewPool } from './render/preview-pool.ts';
import { prepareQueue, renderQueue, PREPARE_QUEUE, type PrepareQueue, type RenderQueue } from './queue/queues.ts';
import { startWorkers } from './queue/workers.ts';
import { startWorkerHealth } from './queue/worker-health.ts';
import { deliveryQueue, EventPublisher, startDeliveryWorker, type DeliveryQueue } from './events/index.ts';
import { ReadyWaiter } from './viewer/ready-waiter.ts';
import { buildApp } from './api/app.ts';
import { MANIFEST_FILE } from './templates/manifest.ts';
import { batchQueue, startBatchWorker, type BatchQueue } from './intake/batches/queue.ts';
import { BatchStore } from './intake/batches/store.ts';
import { CatalogStore } from './intake/catalog.ts';
import { ConnectorStore } from './intake/connectors/store.ts';
import { startSweeper } from './retention/sweeper.ts';

export interface Service {
  config: Config;
  logger: Logger;
  app?: FastifyInstance;
  url?: string;
  /** The metrics port's address, when KASANE_METRICS_PORT is set. */
  metricsUrl?: string;
  close(): Promise<void>;
  prepareBundled(): Promise<Array<{ templateId: string; version: string }>>;
}

/**
 * logger: false writes no logs (tests); a Logger is used as is; unset, one is made from
 * LOG_LEVEL. ffmpeg children of this process run with this config's ffmpeg settings.
 * `warmPreviews`: start the drawing process (fonts, canvas) with the API rather than on the
 * first viewer's request, which then waited ~1.1 s for it (bench/README, the warm-up view).
 * The CLI sets it; tests that start dozens of services do not pay for it.
 */
export async function startService(opts: { api: boolean; worker: boolean; env?: NodeJS.ProcessEnv; logger?: false | Logger; warmPreviews?: boolean }): Promise<Service> {
  const config = loadConfig(opts.env);
  const logger = opts.logger === false ? silentLogger : (opts.logger ?? createLogger(config.logLevel));
  configureFfmpeg(config.ffmpeg);
  const { target, embedded } = await redisTarget(config);
  const connection = bullConnection(target);
  const redis = connect(target);
  const storage = countStorageErrors(openStorage(config, { log: logger }));
  setProcessRole(opts.api && opts.worker ? 'all' : opts.api ? 'api' : 'worker');
  const parts: Parts = {
    config,
    logger,
    target,
    connection,
    redis,
    storage,
    registry: new TemplateRegistry(redis, storage),
    rq: renderQueue(connection, { attempts: config.renderAttempts, delayMs: config.retryDelayMs }),
    pq: prepareQueue(connection),
    dq: deliveryQueue(connection),
    bq: batchQueue(connection),
    // BullMQ objects emit 'error' when Redis goes away; unheard, that ends the process. They reconnect by themselves.
    onRedisError: (what: string) => (e: Error) => logger.warn({ what, err: e.message.split('\n')[0]!.slice(0, 200) }, 'redis error (reconnecting)'),
  };
  const { rq, pq, dq, bq, onRedisError } = parts;
  rq.on('error', onRedisError('render queue'));
  pq.on('error', onRedisError('prepare queue'));
  dq.on('error', onRedisError('webhook queue'));
  bq.on('error', onRedisError('batch queue'));
  // Events carry watch links: the public URL is read when each event is made.
  parts.events = new EventPublisher(redis, dq, () => config.publicUrl);
  redis.on('error', onRedisError('redis'));
  const closers: Array<() => Promise<unknown>> = [];
  // Any process may be asked for queue depth; each counts the shared queues in Redis.
  const unwatch = watchQueueDepth({ render: rq, prepare: pq, webhook: dq, batch: bq });
  closers.push(async () => unwatch());

  if (opts.worker) await startWorkerParts(parts, closers);
  const api = opts.api ? await startApi(parts, closers, opts.warmPreviews ?? false) : undefined;
  // Every process (a worker included, which has no API) can be scraped here without a key.
  const metrics = config.metricsPort !== undefined ? await startMetricsServer(config.metricsPort, config.host) : undefined;
  if (metrics) {
    closers.push(() => metrics.close());
    logger.info({ port: metrics.port }, 'metrics listening');
  }

  return {
    config,
    logger,
    app: api?.app,
    url: api?.url,
    metricsUrl: metrics ? `http://127.0.0.1:${metrics.port}/metrics` : undefined,
    prepareBundled: () => prepareBundled(parts),
    close: async () => {
      // Each part gets a bounded time: after a Redis restart a BullMQ QueueEvents' close
      // can wait for ever (test/chaos.test.ts), and a stop that never ends is a SIGKILL later.
      // A worker cut short loses nothing: its job stalls and is taken up again.
      for (const c of [...closers.reverse(), () => rq.close(), () => pq.close(), () => dq.close(), () => bq.close()]) await closeWithin(c, CLOSE_MS, logger);
      redis.disconnect();
      await embedded?.stop();
    },
  };
}

/** A worker process's parts: render/prepare workers, webhook deliveries, batches, the retention sweep, its health port. */
async function startWorkerParts(p: Parts, closers: Array<() => Promise<unknown>>): Promise<void> {
  const { config, logger, connection, redis, storage, rq } = p;
  const w = startWorkers({ connection, redis, storage, registry: p.registry, concurrency: config.workerConcurrency, fetchPolicy: config.imageFetch, renderQueue: rq, log: logger.child({ name: 'worker' }), events: p.events! });
  closers.push(() => w.close());
  if (config.workerHealthPort) {
    const health = await startWorkerHealth({ port: config.workerHealthPort, host: config.host, redis, storage, worker: w.render });
    closers.push(() => health.close());
  }
  const deliveries = startDeliveryWorker({ connection, redis, settings: config.events, log: logger.child({ name: 'webhooks' }) });
  closers.push(() => deliveries.close());
  const b = startBatchWorker(connection, batchDeps(p), logger.child({ name: 'batch' }));
  closers.push(() => b.close());
  const sweeper = startSweeper({ connection, redis, storage, renderQueue: rq, contentSecret: config.contentSecret, intervalMs: config.retention.sweepIntervalMs, graceSec: config.retention.graceSec, log: logger.child({ name: 'retention' }) });
  closers.push(() => sweeper.close());
}

/** How long one part of the service may take to close (docker stop waits 10 s by default, compose sets 30 s for workers). */
const CLOSE_MS = 8000;

async function closeWithin(close: () => Promise<unknown>, ms: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const r = await Promise.race([close().catch(() => undefined), late]);
  clearTimeout(timer);
  if (r === 'late') log.warn({ ms }, 'a part of the service did not close in time; stopping without it');
}

/** What the service's parts share: one Redis, one storage, the queues. */
interface Parts {
  config: Config;
  logger: Logger;
  target: RedisTarget;
  connection: ConnectionOptions;
  redis: Redis;
  storage: Storage;
  registry: TemplateRegistry;
  rq: RenderQueue;
  pq: PrepareQueue;
  dq: DeliveryQueue;
  bq: BatchQueue;
  events?: EventPublisher;
  onRedisError: (what: string) => (e: Error) => void;
}

/** What a batch job needs: the accept function's parts, catalogs and connectors. */
function batchDeps(p: Parts) {
  const log = p.logger.child({ name: 'batch' });
  return { config: p.config, storage: p.storage, registry: p.registry, store: new RenderStore(p.redis), renderQueue: p.rq, redis: p.redis, batches: new BatchStore(p.redis), catalogs: new CatalogStore(p.redis), connectors: new ConnectorStore(p.redis), log };
}

/** REDIS_URL when set, else a redis-server of our own. */
async function redisTarget(config: Config): Promise<{ target: RedisTarget; embedded?: EmbeddedRedis }> {
  if (config.redisUrl) return { target: { url: config.redisUrl } };
  const embedded = await startEmbeddedRedis(config.varDir, config.redisServerPath);
  return { target: { socket: embedded.socket }, embedded };
}

/** The HTTP API and what only it needs; each part's close is pushed onto `closers`. */
async function startApi(p: Parts, closers: Array<() => Promise<unknown>>, warmPreviews: boolean): Promise<{ app: FastifyInstance; url?: string }> {
  const { config, connection, onRedisError } = p;
  const sub = connect(p.target);
  sub.on('error', onRedisError('subscriber'));
  const waiter = new ReadyWaiter(sub, p.storage);
  closers.push(() => waiter.close());
  const prepareEvents = new QueueEvents(PREPARE_QUEUE, { connection });
  prepareEvents.on('error', onRedisError('prepare events'));
  closers.push(() => prepareEvents.close());
  const previews = new PreviewPool({ storage: config.storage, cache: config.cache }, config.imageFetch, p.logger.level as LogLevel);
  closers.push(() => previews.close());
  if (warmPreviews) previews.warm();
  const app = await buildApp(
    { config, redis: p.redis, storage: p.storage, registry: p.registry, store: new RenderStore(p.redis), renderQueue: p.rq, prepareQueue: p.pq, batchQueue: p.bq, deliveryQueue: p.dq, waiter, prepareEvents, previews, events: p.events! },
    { logger: p.logger.child({ name: 'api' }) },
  );
  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const url = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : undefined;
  closers.push(async () => {
    // Graceful, but bounded: a viewer who stopped reading a segment must not hold shutdown forever.
    const force = setTimeout(() => app.server.closeAllConnections(), 5000);
    await app.close();
    clearTimeout(force);
  });
  return { app, url };
}

/** Queues every template folder under TEMPLATES_DIR for preparation and waits for them all. */
async function prepareBundled(p: Parts): Promise<Array<{ templateId: string; version: string }>> {
  const root = p.config.templatesDir;
  const dirs = existsSync(root)
    ? readdirSync(root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, MANIFEST_FILE)))
        .map((d) => path.join(root, d.name))
    : [];
  const events = new QueueEvents(PREPARE_QUEUE, { connection: p.connection });
  events.on('error', p.onRedisError('prepare events'));
  try {
    await events.waitUntilReady();
    const jobs = await Promise.all(dirs.map((dir) => p.pq.add('prepare', { dir, activate: 'unless-uploaded' as const, source: 'bundled' as const })));
    return await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 30 * 60_000) as Promise<{ templateId: string; version: string }>));
  } finally {
    await events.close();
  }
}
