// Delivers queued messages: signs and POSTs each attempt, records it in the endpoint's
// delivery log, retries (BullMQ, on the RETRY_STEPS schedule) until a 2xx, and disables
// an endpoint that has failed without a break for disableAfterDays. Runs in worker processes.
import { Worker, UnrecoverableError, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventSettings } from '../config/index.ts';
import type { Logger } from '../config/logger.ts';
import { EndpointStore } from './endpoints.ts';
import { DeliveryLog } from './deliveries.ts';
import { DELIVERY_QUEUE, retryDelay, type DeliveryJobData } from './delivery-queue.ts';
import { sendSigned } from './send.ts';
import { queueWait, queueWaitSeconds, webhookErrorsTotal, webhookReason } from '../metrics/index.ts';

export function startDeliveryWorker(d: { connection: ConnectionOptions; redis: Redis; settings: EventSettings; log: Logger; concurrency?: number }): { worker: Worker; close(): Promise<void> } {
  const endpoints = new EndpointStore(d.redis);
  const log = new DeliveryLog(d.redis);
  const worker = new Worker<DeliveryJobData>(
    DELIVERY_QUEUE,
    async (job) => {
      const { messageId, endpointId } = job.data;
      if (job.attemptsMade === 0) queueWaitSeconds.observe({ queue: 'webhook' }, queueWait(job));
      const [ep, msg] = await Promise.all([endpoints.get(endpointId), log.message(messageId)]);
      // Deleted or disabled since the event: nothing to send, nothing to retry.
      if (!ep || !msg) return { skipped: 'endpoint or message gone' };
      if (!ep.enabled) return { skipped: 'endpoint disabled' };
      const attempt = job.attemptsMade + 1;
      const r = await sendSigned(ep.url, ep.secret, messageId, msg.body, { allowPrivate: d.settings.allowPrivate, timeoutMs: d.settings.timeoutMs });
      await log.record(endpointId, {
        delivery_id: messageId,
        event_type: msg.type,
        attempt,
        manual: !!job.data.manual,
        delivered: r.delivered,
        status_code: r.status,
        duration_ms: r.durationMs,
        error: r.error,
        at: new Date().toISOString(),
      });
      // Ids, codes and times only: never the URL's query, the secret or the payload.
      const fields = { endpoint: endpointId, delivery: messageId, type: msg.type, attempt, status: r.status, ms: r.durationMs, err: r.error ?? undefined };
      if (r.delivered) {
        await endpoints.recordSuccess(endpointId);
        d.log.info(fields, 'event delivered');
        return { status: r.status };
      }
      webhookErrorsTotal.inc({ reason: webhookReason(r.status, r.error) });
      if (await endpoints.recordFailure(endpointId, d.settings.disableAfterDays * 86_400_000)) {
        d.log.warn({ endpoint: endpointId, days: d.settings.disableAfterDays }, 'webhook endpoint disabled: failing for too long');
        throw new UnrecoverableError('endpoint disabled');
      }
      d.log.warn(fields, 'event delivery failed');
      throw new Error(r.error ?? 'not delivered');
    },
    {
      connection: d.connection,
      concurrency: d.concurrency ?? 4,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelay(attemptsMade, d.settings.retryBaseMs) },
    },
  );
  worker.on('error', (e: Error) => d.log.warn({ worker: 'webhook', err: e.message.split('\n')[0]!.slice(0, 200) }, 'worker error (it reconnects and goes on)'));
  return { worker, close: () => worker.close() };
}
