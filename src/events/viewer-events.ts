// What a viewer's page reports (started, 25/50/75 %, completed, a CTA tap, a replay).
// Each beacon is recorded for the render's views and its template's funnel (views.ts);
// it goes out to webhook endpoints only the first time in a minute per (render, type,
// percent): a page, or someone replaying its beacons, cannot flood the customer's endpoints.
import type { Redis } from 'ioredis';
import type { RenderMeta } from '../render/records.ts';
import type { EventPublisher } from './publisher.ts';
import type { ViewerEventType } from './types.ts';
import { recordBeacon } from './views.ts';

/**
 * Records a beacon; when it is the first of its kind in the window, queues it for the
 * endpoints without holding the answer: the page ignores it, and queueing (a BullMQ job
 * per endpoint) costs more than the recording. A failure to queue goes to `onError`.
 */
export async function acceptBeacon(redis: Redis, events: EventPublisher, meta: RenderMeta, type: ViewerEventType, percent: number | undefined, onError: (e: Error) => void): Promise<void> {
  if (await recordBeacon(redis, meta, type, percent)) void events.publish(type, meta, percent !== undefined ? { percent } : {}).catch(onError);
}
