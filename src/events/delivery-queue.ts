// The BullMQ queue of webhook deliveries: one job per (event, endpoint) attempt
// series, retried on a fixed schedule that spans about a day.
import { Queue, type ConnectionOptions } from 'bullmq';

export const DELIVERY_QUEUE = 'kasane-webhook';

export interface DeliveryJobData {
  /** The message id: the webhook-id of every attempt, the same on a redelivery. */
  messageId: string;
  endpointId: string;
  /** Sent again by an operator (POST …/redeliver). */
  manual?: boolean;
}

/**
 * Delays before retries 1, 2, … as multiples of the base (KASANE_EVENT_RETRY_BASE_MS,
 * 5 s by default): 5 s, 30 s, 2 min, 5 min, 30 min, 1 h, 2 h, 3 h, 4 h, 6 h, 8 h —
 * about 24.6 h from the first attempt to the last.
 */
export const RETRY_STEPS = [1, 6, 24, 60, 360, 720, 1440, 2160, 2880, 4320, 5760] as const;
export const DELIVERY_ATTEMPTS = RETRY_STEPS.length + 1;

export function retryDelay(attemptsMade: number, baseMs: number): number {
  return RETRY_STEPS[Math.min(Math.max(attemptsMade, 1), RETRY_STEPS.length) - 1]! * baseMs;
}

export type DeliveryQueue = Queue<DeliveryJobData>;

export function deliveryQueue(connection: ConnectionOptions): DeliveryQueue {
  return new Queue<DeliveryJobData>(DELIVERY_QUEUE, {
    connection,
    defaultJobOptions: {
      attempts: DELIVERY_ATTEMPTS,
      // The schedule is the worker's backoffStrategy (retryDelay).
      backoff: { type: 'custom' },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  });
}
