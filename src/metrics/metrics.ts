// The metric objects. Labels are few and bounded (a source, a queue, an outcome, an
// operation name): never a render id, a template's data, a URL or anything personal,
// which would both leak and explode the number of series.
import { Counter, Histogram } from 'prom-client';
import { registry } from './registry.ts';

/** How an accept went: a new render, a repeat of one (idempotent retry), refused (4xx), or failed (Redis away). */
export type AcceptOutcome = 'created' | 'existing' | 'rejected' | 'error';
export type AcceptSource = 'api' | 'hook' | 'batch';

export const acceptSeconds = new Histogram<'source' | 'outcome'>({
  name: 'kasane_accept_duration_seconds',
  help: 'Time to accept a render request (validate, store, queue), by where it came from',
  labelNames: ['source', 'outcome'],
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const queueWaitSeconds = new Histogram<'queue'>({
  name: 'kasane_queue_wait_seconds',
  help: 'Time a job waited in its queue before a worker first took it (first attempts only; retries wait on purpose)',
  labelNames: ['queue'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  registers: [registry],
});

export const segmentEncodeSeconds = new Histogram({
  name: 'kasane_segment_encode_seconds',
  help: 'Time to draw, composite, encode, splice and store one personal segment',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
  registers: [registry],
});

export const segmentReuseTotal = new Counter({
  name: 'kasane_segment_reuse_total',
  help: 'Personal segments found already stored (same overlays as someone else, or a retried render): no encode',
  registers: [registry],
});

export const mezzanineColdReadsTotal = new Counter({
  name: 'kasane_mezzanine_cold_reads_total',
  help: "Personalized segments rendered from the stored lossless mezzanine, decoded in the render's own ffmpeg, because this machine had not expanded it yet (then expanded for the next renders)",
  registers: [registry],
});

export const jitWaitSeconds = new Histogram<'outcome'>({
  name: 'kasane_jit_wait_seconds',
  help: "A viewer's request waiting for a personal segment still being rendered (outcome ready or timeout)",
  labelNames: ['outcome'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
  registers: [registry],
});

export const jitUnavailableTotal = new Counter({
  name: 'kasane_jit_unavailable_total',
  help: 'Segment requests answered 503 (Retry-After) because the render was not done within KASANE_JIT_WAIT_MS',
  registers: [registry],
});

export const storageErrorsTotal = new Counter<'op'>({
  name: 'kasane_storage_errors_total',
  help: 'Storage operations that failed (a missing object is not an error), by operation',
  labelNames: ['op'],
  registers: [registry],
});

export const webhookErrorsTotal = new Counter<'reason'>({
  name: 'kasane_webhook_delivery_errors_total',
  help: 'Webhook delivery attempts that failed, by reason (http_4xx, http_5xx, timeout, network, an address rule)',
  labelNames: ['reason'],
  registers: [registry],
});

/** A delivery failure's bounded reason: the status class, or the sender's short reason code. */
export function webhookReason(status: number | null, error: string | null): string {
  if (status) return `http_${Math.floor(status / 100)}xx`;
  return /^[a-z_]{1,40}$/.test(error ?? '') ? error! : 'other';
}


/** Seconds from a job being added to a worker taking it (BullMQ's timestamp and processedOn). */
export function queueWait(job: { timestamp: number; processedOn?: number }): number {
  return Math.max(0, ((job.processedOn ?? Date.now()) - job.timestamp) / 1000);
}
