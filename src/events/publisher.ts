// Turns something that happened to a render into messages: one per enabled endpoint
// subscribed to the event type (and, for an endpoint bound to a connector, only for
// renders made through that connector), each queued for delivery.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RenderMeta } from '../render/records.ts';
import { EndpointStore, type Endpoint } from './endpoints.ts';
import { DeliveryLog } from './deliveries.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { eventPayload, type EventType } from './types.ts';

export function wants(e: Endpoint, type: EventType, meta: Pick<RenderMeta, 'connector'>): boolean {
  return e.enabled && e.events.includes(type) && (!e.connector || e.connector === meta.connector);
}

export const newMessageId = () => `msg_${randomBytes(16).toString('base64url')}`;

export class EventPublisher {
  readonly endpoints: EndpointStore;
  readonly log: DeliveryLog;

  /** `publicUrl` is read at each event (a test service learns its port after start). */
  constructor(
    redis: Redis,
    private readonly queue: DeliveryQueue,
    private readonly publicUrl: () => string,
  ) {
    this.endpoints = new EndpointStore(redis);
    this.log = new DeliveryLog(redis);
  }

  /** Queues the event for every endpoint that wants it; returns how many. */
  async publish(type: EventType, meta: RenderMeta, extra: { error?: string; percent?: number } = {}): Promise<number> {
    const targets = (await this.endpoints.list()).filter((e) => wants(e, type, meta));
    if (!targets.length) return 0;
    const body = JSON.stringify(eventPayload(type, meta, this.publicUrl(), extra));
    for (const e of targets) {
      const id = newMessageId();
      await this.log.saveMessage({ id, endpointId: e.id, type, body }, meta.id);
      await this.queue.add(type, { messageId: id, endpointId: e.id }, { jobId: id });
    }
    return targets.length;
  }

  /** Sends a kept message again, as a new series of attempts with the same webhook-id. False when it expired. */
  async redeliver(endpointId: string, messageId: string): Promise<boolean> {
    const m = await this.log.message(messageId);
    if (!m || m.endpointId !== endpointId) return false;
    await this.queue.add(m.type, { messageId, endpointId, manual: true }, { jobId: `${messageId}-r${randomBytes(6).toString('base64url')}` });
    return true;
  }
}
