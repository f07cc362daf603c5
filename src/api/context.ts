import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import type { Storage } from '../storage/storage.ts';
import type { TemplateRegistry } from '../templates/registry.ts';
import type { RenderStore } from '../render/records.ts';
import type { RenderQueue, PrepareQueue } from '../queue/queues.ts';
import type { ReadyWaiter } from '../viewer/ready-waiter.ts';

/** Everything a route needs; built once per API process. */
export interface ApiContext {
  config: Config;
  redis: Redis;
  storage: Storage;
  registry: TemplateRegistry;
  store: RenderStore;
  renderQueue: RenderQueue;
  prepareQueue: PrepareQueue;
  waiter: ReadyWaiter;
}
