// What a viewer's page reports (started, 25/50/75 %, completed, a CTA tap). The page
// is public and can be replayed, so each kind is counted once per render per minute:
// a page, or someone replaying its beacons, cannot flood the customer's endpoints.
import type { Redis } from 'ioredis';
import type { ViewerEventType } from './types.ts';

const WINDOW_SEC = 60;

/** True the first time this (render, type, percent) is reported in the window. */
export async function firstReport(redis: Redis, renderId: string, type: ViewerEventType, percent?: number): Promise<boolean> {
  const k = `kasane:wh:seen:${renderId}:${type}${percent !== undefined ? `:${percent}` : ''}`;
  return (await redis.set(k, '1', 'EX', WINDOW_SEC, 'NX')) === 'OK';
}
