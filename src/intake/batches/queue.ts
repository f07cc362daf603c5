// Batches run as BullMQ jobs on `kasane worker` processes: a 100,000-row file is
// minutes of CPU at worst, which must not sit in an API process answering
// hooks and viewers; a worker that dies mid-file is replaced and the job re-runs
// (accepting is idempotent, so the rows already done answer the same renders).
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../../config/logger.ts';
import { queueWait, queueWaitSeconds } from '../../metrics/index.ts';
import { runBatch, type BatchDeps } from './run.ts';

export const BATCH_QUEUE = 'kasane-batch';
export interface BatchJobData {
  batchId: string;
}
export type BatchQueue = Queue<BatchJobData>;

export function batchQueue(connection: ConnectionOptions): BatchQueue {
  return new Queue<BatchJobData>(BATCH_QUEUE, {
    connection,
    defaultJobOptions: { attempts: 3, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
  });
}

export async function enqueueBatch(q: BatchQueue, batchId: string): Promise<void> {
  await q.add('batch', { batchId }, { jobId: batchId });
}

/** One batch at a time per worker process: rows are already handled many at once inside a batch. */
export function startBatchWorker(connection: ConnectionOptions, deps: BatchDeps, log: Logger): Worker<BatchJobData> {
  const w = new Worker<BatchJobData>(BATCH_QUEUE, async (job) => {
    if (job.attemptsMade === 0) queueWaitSeconds.observe({ queue: 'batch' }, queueWait(job));
    return runBatch(deps, job.data.batchId, job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
  }, { connection, concurrency: 1, lockDuration: 60_000 });
  w.on('error', (e: Error) => log.warn({ worker: 'batch', err: e.message.split('\n')[0]!.slice(0, 200) }, 'worker error (it reconnects and goes on)'));
  w.on('failed', (job, e) => log.error({ batchId: job?.data.batchId, err: e.message.split('\n')[0]!.slice(0, 200) }, 'batch failed'));
  return w;
}
