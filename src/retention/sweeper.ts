// The retention sweep: renders whose link expired more than the grace period ago
// (KASANE_RETENTION_GRACE_HOURS) are deleted with the same code as DELETE /v1/renders.
// A BullMQ job scheduler runs it every KASANE_RETENTION_SWEEP_MS: however many workers
// there are, one sweep per interval.
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../config/logger.ts';
import { DUE } from '../render/render-index.ts';
import { deleteRender, RenderBusyError, type DeletionDeps } from './delete-render.ts';
import { BatchStore } from '../intake/batches/store.ts';
import { indexExistingRenders } from './reindex.ts';

export const RETENTION_QUEUE = 'kasane-retention';
const SCHEDULER_ID = 'retention-sweep';
/** Renders deleted per read of the due list. */
const BATCH = 200;

/** Deletes every render due by `now` (unix seconds); returns how many. */
export async function sweepExpired(d: DeletionDeps, log: Logger, now = Math.floor(Date.now() / 1000)): Promise<number> {
  let swept = 0;
  for (;;) {
    const due = await d.redis.zrangebyscore(DUE, '-inf', now, 'LIMIT', 0, BATCH);
    let progressed = false;
    for (const id of due) {
      try {
        await deleteRender(d, id, { tombstone: false, waitActiveMs: 0 });
        swept++;
        progressed = true;
      } catch (e) {
        // Being rendered right now (a late lazy view): the next sweep takes it. Ids only in logs.
        if (!(e instanceof RenderBusyError)) log.warn({ renderId: id, err: (e as Error).message.split('\n')[0]!.slice(0, 200) }, 'retention sweep could not delete a render');
      }
    }
    if (due.length < BATCH || !progressed) return swept;
  }
}

/** A batch's files younger than this are never swept: its record is written just after its upload is stored. */
const BATCH_FILE_MIN_AGE_MS = 3600_000;

/**
 * Campaign CSVs (whole rows of personal data) outlive nothing: once a batch's record has
 * expired (7 days), its input and result files go too. Returns how many files.
 */
export async function sweepBatchFiles(d: DeletionDeps, now = Date.now()): Promise<number> {
  const batches = new BatchStore(d.redis);
  const known = new Map<string, boolean>();
  let removed = 0;
  for await (const key of d.storage.list('batches/')) {
    const id = key.split('/')[1]!;
    if (!known.has(id)) known.set(id, (await batches.get(id)) !== null);
    if (known.get(id)) continue;
    const obj = await d.storage.open(key);
    if (!obj || now - obj.mtime.getTime() < BATCH_FILE_MIN_AGE_MS) continue;
    await d.storage.delete(key);
    removed++;
  }
  return removed;
}

export function startSweeper(d: DeletionDeps & { connection: ConnectionOptions; intervalMs: number; graceSec: number; log: Logger }): { close(): Promise<void> } {
  // Renders from before the index: made findable and sweepable once.
  const indexed = indexExistingRenders(d.redis, d.contentSecret, d.graceSec).then(
    (n) => void (n && d.log.info({ renders: n }, 'indexed renders accepted before the render index')),
    (e: Error) => d.log.warn({ err: e.message.split('\n')[0]!.slice(0, 200) }, 'could not index earlier renders (next start tries again)'),
  );
  const queue = new Queue(RETENTION_QUEUE, { connection: d.connection, defaultJobOptions: { removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } } });
  const onError = (e: Error) => d.log.warn({ err: e.message.split('\n')[0]!.slice(0, 200) }, 'retention queue error (it reconnects)');
  queue.on('error', onError);
  // Upserted by every worker with the same id: one schedule, the interval of the latest start.
  const scheduled = queue.upsertJobScheduler(SCHEDULER_ID, { every: d.intervalMs }, { name: 'sweep' }).catch(onError);
  const worker = new Worker(
    RETENTION_QUEUE,
    async () => {
      const swept = await sweepExpired(d, d.log);
      const batchFiles = await sweepBatchFiles(d);
      if (swept || batchFiles) d.log.info({ swept, batchFiles }, 'retention sweep deleted expired renders and batch files');
      return { swept, batchFiles };
    },
    { connection: d.connection, concurrency: 1 },
  );
  worker.on('error', onError);
  return {
    close: async () => {
      await scheduled;
      await indexed;
      await worker.close();
      await queue.close();
    },
  };
}
