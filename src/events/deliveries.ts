// What was sent and what came of it: each message (one event for one endpoint) is kept
// for a week so it can be sent again by hand, and each endpoint keeps a capped list
// of its latest delivery attempts for GET …/deliveries.
import type { Redis } from 'ioredis';
import { logKey } from './endpoints.ts';
import type { EventType } from './types.ts';

/** One event for one endpoint; its id is the webhook-id every attempt carries. */
export interface Message {
  id: string;
  endpointId: string;
  type: EventType;
  /** The exact JSON body signed and sent (the same bytes on every attempt). */
  body: string;
}

export interface AttemptRecord {
  delivery_id: string;
  event_type: EventType;
  /** 1 for the first try; a manual redelivery starts again at 1. */
  attempt: number;
  manual: boolean;
  delivered: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  at: string;
}

const MESSAGE_TTL_SEC = 7 * 24 * 3600;
export const LOG_SIZE = 200;
export const msgKey = (id: string) => `kasane:wh:msg:${id}`;
/** The messages about one render (their bodies name its external_id and link): found and deleted with it. */
export const renderMessagesKey = (renderId: string) => `kasane:wh:render:${renderId}`;

export class DeliveryLog {
  constructor(private readonly redis: Redis) {}

  async saveMessage(m: Message, renderId?: string): Promise<void> {
    const t = this.redis.multi().set(msgKey(m.id), JSON.stringify(m), 'EX', MESSAGE_TTL_SEC);
    if (renderId) t.sadd(renderMessagesKey(renderId), m.id).expire(renderMessagesKey(renderId), MESSAGE_TTL_SEC);
    await t.exec();
  }

  async message(id: string): Promise<Message | null> {
    const raw = await this.redis.get(msgKey(id));
    return raw ? (JSON.parse(raw) as Message) : null;
  }

  async record(endpointId: string, a: AttemptRecord): Promise<void> {
    await this.redis.multi().lpush(logKey(endpointId), JSON.stringify(a)).ltrim(logKey(endpointId), 0, LOG_SIZE - 1).exec();
  }

  /** Newest first. */
  async attempts(endpointId: string, limit = LOG_SIZE): Promise<AttemptRecord[]> {
    return (await this.redis.lrange(logKey(endpointId), 0, limit - 1)).map((s) => JSON.parse(s) as AttemptRecord);
  }
}
