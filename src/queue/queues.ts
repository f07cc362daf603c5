import { Queue, type ConnectionOptions } from 'bullmq';
import type { RenderState, RenderStore } from '../render/records.ts';

export const RENDER_QUEUE = 'kasane-render';
export const PREPARE_QUEUE = 'kasane-prepare';

/**
 * BullMQ: lower number = sooner. A viewer waiting on a segment jumps the line; a
 * render's later segments (a continuation, see workers.ts) wait behind every other
 * render's first segment, which a fresh viewer needs sooner.
 */
export const PRIORITY = { viewer: 1, eager: 100, later: 200 } as const;

export interface RenderJobData {
  renderId: string;
  /** 0 for the render's own job; 1, 2… for continuations with its later segments. */
  part?: number;
}

/** Job id of a render's part: the render id itself for part 0. */
export function renderJobId(renderId: string, part = 0): string {
  return part === 0 ? renderId : `${renderId}-p${part}`;
}
export interface PrepareJobData {
  /** A bundled template's folder (templates/, in every machine's checkout). */
  dir?: string;
  /** An uploaded package's storage prefix (uploads/<id>/<version>): the worker fetches it, from any machine. */
  package?: string;
  /**
   * Make this version the active one once prepared. 'unless-uploaded' (bundled samples):
   * activate unless an operator's uploaded version is active — an upload always wins.
   */
  activate: boolean | 'unless-uploaded';
  source: 'bundled' | 'upload';
  /** Known for uploads (computed at upload); lets a failure be recorded against the version. */
  templateId?: string;
  version?: string;
}

export type RenderQueue = ReturnType<typeof renderQueue>;

export function renderQueue(connection: ConnectionOptions, retry: { attempts: number; delayMs: number } = { attempts: 4, delayMs: 2000 }) {
  return new Queue<RenderJobData>(RENDER_QUEUE, {
    connection,
    defaultJobOptions: {
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.delayMs },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  });
}

export type PrepareQueue = ReturnType<typeof prepareQueue>;

export function prepareQueue(connection: ConnectionOptions) {
  return new Queue<PrepareJobData>(PREPARE_QUEUE, {
    connection,
    defaultJobOptions: { attempts: 2, backoff: { type: 'fixed', delay: 5000 }, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
  });
}

export async function enqueueRender(q: RenderQueue, renderId: string, priority: number): Promise<void> {
  // jobId = renderId: a second add of the same render is a no-op in BullMQ.
  await q.add('render', { renderId }, { jobId: renderId, priority });
}

export async function enqueueContinuation(q: RenderQueue, renderId: string, part: number, priority: number): Promise<void> {
  await q.add('render', { renderId, part }, { jobId: renderJobId(renderId, part), priority });
}

/**
 * Raise a waiting render's priority: the job of its current part (kept in the render
 * record), found directly, since earlier parts' jobs may already be trimmed from the queue.
 * A job already running needs nothing.
 */
export async function bumpRender(q: RenderQueue, renderId: string, part: number): Promise<void> {
  const job = await q.getJob(renderJobId(renderId, part));
  if (!job) return;
  const state = await job.getState();
  if (state === 'waiting' || state === 'prioritized' || state === 'delayed') {
    await job.changePriority({ priority: PRIORITY.viewer }).catch(() => {});
    if (state === 'delayed') await job.promote().catch(() => {});
  }
}

/**
 * The failure BullMQ recorded for a render's current part, if that job failed for good.
 * The render record is written after the job fails; when that write is lost, the job is the truth.
 */
export async function finalFailure(q: RenderQueue, renderId: string, part: number): Promise<string | null> {
  const job = await q.getJob(renderJobId(renderId, part));
  if (!job || (await job.getState()) !== 'failed') return null;
  return (job.failedReason || 'render failed').split('\n')[0]!.slice(0, 300);
}

/**
 * A queued or rendering render whose current job failed for good is failed: the worker's
 * write of that was lost (Redis away at that moment). Writes it back and says so.
 */
export async function settleLostFailure(store: RenderStore, q: RenderQueue, id: string, state: RenderState | null, part: number): Promise<{ state: RenderState | null; error?: string }> {
  if (state !== 'queued' && state !== 'rendering') return { state };
  const error = await finalFailure(q, id, part);
  if (!error) return { state };
  await store.markError(id, error, true).catch(() => {});
  return { state: 'failed', error };
}
