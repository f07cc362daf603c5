// Outbound events (Standard Webhooks): endpoints, publishing, delivery. See docs/events.md.
export * from './types.ts';
export { EndpointStore, secretHint, type Endpoint, type EndpointChange } from './endpoints.ts';
export { DeliveryLog, LOG_SIZE, msgKey, renderMessagesKey, type AttemptRecord } from './deliveries.ts';
export { deliveryQueue, DELIVERY_QUEUE, RETRY_STEPS, retryDelay, type DeliveryQueue } from './delivery-queue.ts';
export { EventPublisher } from './publisher.ts';
export { startDeliveryWorker } from './delivery-worker.ts';
export { endpointUrlProblem } from './endpoint-url.ts';
export { acceptBeacon } from './viewer-events.ts';
export { beaconGate, countIssued, renderViewKeys, readRenderViews, recordOpen, templateStats, BEACON_LIMIT, STATS_MAX_DAYS, BEACON_WINDOW_SEC, FUNNEL, type RenderViews, type TemplateStats } from './views.ts';
export { isCrawler } from './crawlers.ts';
