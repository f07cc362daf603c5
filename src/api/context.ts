import type { Redis } from 'ioredis';
import type { QueueEvents } from 'bullmq';
import type { Config } from '../config/index.ts';
import type { Storage } from '../storage/storage.ts';
import type { TemplateRegistry } from '../templates/registry.ts';
import type { RenderStore } from '../render/records.ts';
import type { RenderQueue, PrepareQueue } from '../queue/queues.ts';
import type { ReadyWaiter } from '../viewer/ready-waiter.ts';
import type { PreviewPool } from '../render/preview-pool.ts';
import type { EventPublisher } from '../events/index.ts';
import type { BatchQueue } from '../intake/batches/queue.ts';
import type { DeliveryQueue } from '../events/delivery-queue.ts';

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
  /** Completion events of prepare jobs: an upload with ?wait=true waits on them. */
  prepareEvents: QueueEvents;
  /** Preview drawing off the event loop. */
  previews: PreviewPool;
  /** Webhook endpoints, and viewer events going out to them. */
  events: EventPublisher;
  /** Campaign CSV batches, run by workers. */
  batchQueue: BatchQueue;
  /** Webhook deliveries: shown on the queue dashboard. */
  deliveryQueue: DeliveryQueue;
}
