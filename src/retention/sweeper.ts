// The retention sweep: renders whose link expired more than the grace period ago
// (KASANE_RETENTION_GRACE_HOURS) are deleted with the same code as DELETE /v1/renders.
// A BullMQ job scheduler runs it every KASANE_RETENTION_SWEEP_MS: however many workers
// there are, one sweep per interval.
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../config/logger.ts';
import { DUE } from '../render/render-index.ts';
import { deleteRender, RenderBusyError, type DeletionDeps } from './delete-render.ts';

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

export function startSweeper(d: DeletionDeps & { connection: ConnectionOptions; intervalMs: number; log: Logger }): { close(): Promise<void> } {
  const queue = new Queue(RETENTION_QUEUE, { connection: d.connection, defaultJobOptions: { removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } } });
  const onError = (e: Error) => d.log.warn({ err: e.message.split('\n')[0]!.slice(0, 200) }, 'retention queue error (it reconnects)');
  queue.on('error', onError);
  // Upserted by every worker with the same id: one schedule, the interval of the latest start.
  const scheduled = queue.upsertJobScheduler(SCHEDULER_ID, { every: d.intervalMs }, { name: 'sweep' }).catch(onError);
  const worker = new Worker(
    RETENTION_QUEUE,
    async () => {
      const swept = await sweepExpired(d, d.log);
      if (swept) d.log.info({ swept }, 'retention sweep deleted expired renders');
      return { swept };
    },
    { connection: d.connection, concurrency: 1 },
  );
  worker.on('error', onError);
  return {
    close: async () => {
      await scheduled;
      await worker.close();
      await queue.close();
    },
  };
}
