// Wires the parts into a running service: Redis (embedded unless REDIS_URL),
// storage, workers and/or the HTTP API, and the bundled templates.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from './config/index.ts';
import { createLogger, silentLogger, type Logger } from './config/logger.ts';
import { configureFfmpeg } from './video/ffmpeg.ts';
import { LocalStorage } from './storage/storage.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from './queue/embedded-redis.ts';
import { connect, bullConnection, type RedisTarget } from './queue/connection.ts';
import { TemplateRegistry } from './templates/registry.ts';
import { RenderStore } from './render/records.ts';
import { PreviewPool } from './render/preview-pool.ts';
import { prepareQueue, renderQueue, PREPARE_QUEUE } from './queue/queues.ts';
import { startWorkers } from './queue/workers.ts';
import { ReadyWaiter } from './viewer/ready-waiter.ts';
import { buildApp } from './api/app.ts';
import { MANIFEST_FILE } from './templates/manifest.ts';

export interface Service {
  config: Config;
  logger: Logger;
  app?: FastifyInstance;
  url?: string;
  close(): Promise<void>;
  prepareBundled(): Promise<Array<{ templateId: string; version: string }>>;
}

/**
 * logger: false writes no logs (tests); a Logger is used as is; unset, one is made from
 * LOG_LEVEL. ffmpeg children of this process run with this config's ffmpeg settings.
 */
export async function startService(opts: { api: boolean; worker: boolean; env?: NodeJS.ProcessEnv; logger?: false | Logger }): Promise<Service> {
  const config = loadConfig(opts.env);
  const logger = opts.logger === false ? silentLogger : (opts.logger ?? createLogger(config.logLevel));
  configureFfmpeg(config.ffmpeg);
  let embedded: EmbeddedRedis | undefined;
  let target: RedisTarget;
  if (config.redisUrl) target = { url: config.redisUrl };
  else {
    embedded = await startEmbeddedRedis(config.varDir, config.redisServerPath);
    target = { socket: embedded.socket };
  }
  const connection = bullConnection(target);
  const redis = connect(target);
  const storage = new LocalStorage(config.storageDir);
  const registry = new TemplateRegistry(redis, storage);
  const rq = renderQueue(connection, { attempts: config.renderAttempts, delayMs: config.retryDelayMs });
  const pq = prepareQueue(connection);
  const closers: Array<() => Promise<unknown>> = [];
  // BullMQ objects emit 'error' when Redis goes away; unheard, that ends the process. They reconnect by themselves.
  const onRedisError = (what: string) => (e: Error) => logger.warn({ what, err: e.message.split('\n')[0]!.slice(0, 200) }, 'redis error (reconnecting)');
  rq.on('error', onRedisError('render queue'));
  pq.on('error', onRedisError('prepare queue'));
  redis.on('error', onRedisError('redis'));

  if (opts.worker) {
    const w = startWorkers({ connection, redis, storage, registry, concurrency: config.workerConcurrency, fetchPolicy: config.imageFetch, renderQueue: rq, log: logger.child({ name: 'worker' }) });
    closers.push(() => w.close());
  }
  let app: FastifyInstance | undefined;
  let url: string | undefined;
  if (opts.api) {
    const sub = connect(target);
    sub.on('error', onRedisError('subscriber'));
    const waiter = new ReadyWaiter(sub, storage);
    closers.push(() => waiter.close());
    const prepareEvents = new QueueEvents(PREPARE_QUEUE, { connection });
    prepareEvents.on('error', onRedisError('prepare events'));
    closers.push(() => prepareEvents.close());
    const previews = new PreviewPool(config.storageDir, config.imageFetch);
    closers.push(() => previews.close());
    app = buildApp({ config, redis, storage, registry, store: new RenderStore(redis), renderQueue: rq, prepareQueue: pq, waiter, prepareEvents, previews }, { logger: logger.child({ name: 'api' }) });
    await app.listen({ port: config.port, host: config.host });
    const addr = app.server.address();
    url = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : undefined;
    closers.push(async () => {
      // Graceful, but bounded: a viewer who stopped reading a segment must not hold shutdown forever.
      const force = setTimeout(() => app!.server.closeAllConnections(), 5000);
      await app!.close();
      clearTimeout(force);
    });
  }

  async function prepareBundled() {
    const dirs = existsSync(config.templatesDir)
      ? readdirSync(config.templatesDir, { withFileTypes: true })
          .filter((d) => d.isDirectory() && existsSync(path.join(config.templatesDir, d.name, MANIFEST_FILE)))
          .map((d) => path.join(config.templatesDir, d.name))
      : [];
    const events = new QueueEvents(PREPARE_QUEUE, { connection });
    events.on('error', onRedisError('prepare events'));
    try {
      await events.waitUntilReady();
      const jobs = await Promise.all(dirs.map((dir) => pq.add('prepare', { dir, activate: 'unless-uploaded' as const, source: 'bundled' as const })));
      return await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 30 * 60_000) as Promise<{ templateId: string; version: string }>));
    } finally {
      await events.close();
    }
  }

  return {
    config,
    logger,
    app,
    url,
    prepareBundled,
    close: async () => {
      for (const c of closers.reverse()) await c().catch(() => {});
      await rq.close();
      await pq.close();
      redis.disconnect();
      await embedded?.stop();
    },
  };
}
