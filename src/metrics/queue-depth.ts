// Queue depth, read from BullMQ at scrape time (a gauge's collect callback), so
// it is exact whenever Prometheus looks and costs nothing in between.
import { Gauge } from 'prom-client';
import { registry } from './registry.ts';

/** What a BullMQ Queue offers; structural, so this layer needs nothing from queue/. */
export interface CountableQueue {
  getJobCounts(...states: string[]): Promise<Record<string, number>>;
}

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;
/** A scrape must not hang on a Redis that is away: the gauge then keeps its last values. */
const COUNT_TIMEOUT_MS = 2000;

const sources = new Map<string, CountableQueue>();

new Gauge<'queue' | 'state'>({
  name: 'kasane_queue_jobs',
  help: 'Jobs in each queue by state (waiting, prioritized, active, delayed, failed), read from Redis at scrape time',
  labelNames: ['queue', 'state'],
  registers: [registry],
  async collect() {
    await Promise.all(
      [...sources].map(async ([queue, q]) => {
        let timer: NodeJS.Timeout | undefined;
        const counts = await Promise.race([
          q.getJobCounts(...STATES),
          new Promise<null>((r) => (timer = setTimeout(() => r(null), COUNT_TIMEOUT_MS))),
        ]).catch(() => null);
        clearTimeout(timer);
        if (!counts) return;
        for (const state of STATES) this.set({ queue, state }, counts[state] ?? 0);
      }),
    );
  },
});

/** Counts these queues (short name → queue) at every scrape until the returned function is called. */
export function watchQueueDepth(queues: Record<string, CountableQueue>): () => void {
  for (const [name, q] of Object.entries(queues)) sources.set(name, q);
  return () => {
    for (const [name, q] of Object.entries(queues)) if (sources.get(name) === q) sources.delete(name);
  };
}
