// Background workers: prepare template versions and render personal segments.
// A worker killed mid-render loses nothing: segments are written atomically
// and content-addressed, BullMQ hands the stalled job to another worker, and
// the retry skips segments that already exist.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker, UnrecoverableError, type Job, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import type { Logger } from '../config/logger.ts';
import type { Storage } from '../storage/storage.ts';
import { prepareTemplate } from '../templates/prepare.ts';
import { ManifestError } from '../templates/manifest.ts';
import type { TemplateRegistry } from '../templates/registry.ts';
import { drawContext, renderPersonalSegments, type SegmentClaims } from '../render/personalize.ts';
import type { ImageFetchPolicy } from '../overlays/index.ts';
import { ffmpegVersion } from '../video/ffmpeg.ts';
import { ensureFonts } from '../overlays/index.ts';
import { RenderStore, type RenderMeta } from '../render/records.ts';
import type { EventPublisher } from '../events/index.ts';
import { queueWait, queueWaitSeconds } from '../metrics/index.ts';
import { enqueueContinuation, PREPARE_QUEUE, PRIORITY, RENDER_QUEUE, type PrepareJobData, type RenderJobData, type RenderQueue } from './queues.ts';

export interface WorkerDeps {
  connection: ConnectionOptions;
  redis: Redis;
  storage: Storage;
  registry: TemplateRegistry;
  concurrency: number;
  fetchPolicy: ImageFetchPolicy;
  /** For continuations: a render's later segments, queued behind other renders' first ones. */
  renderQueue: RenderQueue;
  log: Logger;
  /** render.ready / render.failed go out through it (webhooks). */
  events?: EventPublisher;
}

/** Lock short enough that a killed worker's job is picked up again within seconds. */
const LOCK_MS = 10_000;
/** A render this young may have a viewer on its first segments: split it under load. */
const FRESH_MS = 60_000;
/** How long another render waits on a segment someone else is encoding before encoding it itself. */
const CLAIM_MS = 30_000;

export function startWorkers(d: WorkerDeps): { render: Worker; prepare: Worker; close(): Promise<void> } {
  const store = new RenderStore(d.redis);
  // Font registration costs ~0.5 s; pay it at start, not in the first viewer's render.
  ensureFonts();
  const render = new Worker<RenderJobData>(RENDER_QUEUE, renderProcessor(d, store), {
    connection: d.connection,
    concurrency: d.concurrency,
    lockDuration: LOCK_MS,
    stalledInterval: 5000,
    maxStalledCount: 3,
  });
  render.on('failed', (job, err) => {
    if (job) recordRenderFailure(d, store, job, err);
  });
  const prepare = new Worker<PrepareJobData>(PREPARE_QUEUE, prepareProcessor(d), { connection: d.connection, concurrency: 1, lockDuration: 60_000 });

  // A Redis outage surfaces as 'error' events: without a listener Node ends the process.
  // BullMQ reconnects by itself, so logging is all there is to do.
  for (const [name, w] of [['render', render], ['prepare', prepare]] as const) {
    w.on('error', (e: Error) => d.log.warn({ worker: name, err: safeMessage(e) }, 'worker error (it reconnects and goes on)'));
  }

  return {
    render,
    prepare,
    close: async () => {
      await Promise.all([render.close(), prepare.close()]);
    },
  };
}

/** Renders one job's part of a render: its personal segments, or the first of them with the rest queued. */
function renderProcessor(d: WorkerDeps, store: RenderStore): Processor<RenderJobData> {
  return async (job, _token, signal) => {
    const { renderId } = job.data;
    if (job.attemptsMade === 0) queueWaitSeconds.observe({ queue: 'render' }, queueWait(job));
    const meta = await store.meta(renderId);
    if (!meta) return { skipped: 'render expired or unknown' };
    // Every line about this job names it; never the person's data.
    const log = d.log.child({ renderId, jobId: job.id, template: meta.templateId, version: meta.version });
    const plan = await d.registry.plan(meta.templateId, meta.version);
    if (!plan) throw new UnrecoverableError(`template ${meta.templateId} version ${meta.version} is not prepared`);
    if (plan.ffmpegVersion !== (await ffmpegVersion())) {
      // Mixing encoder builds breaks the splice; refuse rather than emit a broken stream.
      throw new UnrecoverableError(`template prepared with a different ffmpeg build (${plan.ffmpegVersion})`);
    }
    const data = (await store.data(renderId)) ?? {};
    const part = job.data.part ?? 0;
    await store.markStarted(renderId, job.attemptsMade + 1, part > 0);
    const t0 = Date.now();
    const keys = Object.fromEntries(Object.entries(meta.segKeys).map(([k, v]) => [Number(k), v]));
    // Deadline first: while other renders wait, a fresh render (its viewer may be
    // opening the link right now) gets only the segment that viewer reaches first;
    // the rest is queued behind everyone's first segments. An idle worker, or an old
    // backlog, renders everything in one pass (cheapest).
    const fresh = Date.now() - Date.parse(meta.createdAt) < FRESH_MS;
    let rendered = 0;
    const { done, deferred } = await renderPersonalSegments(plan, data, keys, d.storage, drawContext(plan, d.storage, d.fetchPolicy), {
      signal,
      claims: segmentClaims(d.redis, renderId),
      deferAllButFirst: async () => fresh && (await othersWaiting(d.renderQueue)),
      onSegment: async (s) => {
        if (!s.reused) rendered++;
        log.debug({ segment: s.index, reused: s.reused, ms: Math.round(s.ms) }, s.reused ? 'segment reused' : 'segment rendered');
        await store.markSegment(renderId, s.index, s.key, s.reused);
        await job.updateProgress({ segment: s.index });
      },
    });
    if (deferred.length) {
      // The record names the part first, so a viewer's bump finds the new job at once.
      await store.setPart(renderId, part + 1);
      // A watched render keeps the viewer's priority for its later segments.
      await enqueueContinuation(d.renderQueue, renderId, part + 1, job.priority === PRIORITY.viewer ? PRIORITY.viewer : PRIORITY.later);
      log.info({ part, rendered, segments: done.map((s) => s.index), deferred, ms: Date.now() - t0 }, 'render part done, rest queued');
      return { rendered, continued: true };
    }
    await store.markDone(renderId);
    await publishEvent(d, 'render.ready', meta);
    // No personal data here: ids, counts and times only.
    log.info({ part, rendered, segments: done.map((s) => s.index), ms: Date.now() - t0 }, 'render done');
    return { rendered };
  };
}

/**
 * Content-addressed segments shared by many people (same items) are encoded once
 * even when two workers meet them at the same moment.
 * A retry of the same render (after a crash) takes its own stale claim back.
 */
function segmentClaims(redis: Redis, renderId: string): SegmentClaims {
  return {
    claim: async (key) =>
      (await redis.set(`kasane:claim:${key}`, renderId, 'PX', CLAIM_MS, 'NX')) === 'OK' || (await redis.get(`kasane:claim:${key}`)) === renderId,
    release: async (key) => {
      await redis.del(`kasane:claim:${key}`);
    },
  };
}

function recordRenderFailure(d: WorkerDeps, store: RenderStore, job: Job<RenderJobData>, err: Error): void {
  const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
  // Retried: a lost write would leave the render "rendering" for ever (the status route
  // also reads the job's own state, so even a write that never lands is seen).
  void withRetries(() => store.markError(job.data.renderId, safeMessage(err), final)).catch((e: Error) =>
    d.log.error({ renderId: job.data.renderId, err: safeMessage(e) }, 'could not record a render failure'),
  );
  d.log[final ? 'error' : 'warn']({ renderId: job.data.renderId, jobId: job.id, attempt: job.attemptsMade, final, err: safeMessage(err) }, 'render failed');
  if (final) void store.meta(job.data.renderId).then((meta) => meta ? publishEvent(d, 'render.failed', meta, { error: safeMessage(err) }) : undefined, () => {});
}

/** Queues a webhook event; a failure to queue it is logged, never fails the render. */
async function publishEvent(d: WorkerDeps, type: 'render.ready' | 'render.failed', meta: RenderMeta, extra?: { error: string }): Promise<void> {
  await d.events?.publish(type, meta, extra).catch((e: Error) => d.log.error({ renderId: meta.id, type, err: safeMessage(e) }, 'could not queue an event'));
}

/** Prepares a template version and activates it or marks it ready; a failure is recorded on the version. */
function prepareProcessor(d: WorkerDeps): Processor<PrepareJobData> {
  return async (job, _token, signal) => {
    const { templateId, version } = job.data;
    if (job.attemptsMade === 0) queueWaitSeconds.observe({ queue: 'prepare' }, queueWait(job));
    const log = d.log.child({ jobId: job.id, ...(templateId ? { template: templateId, version } : {}) });
    try {
      // Each step is also the job's progress, so GET …/versions/:version (and the console) can show it.
      const step = (m: string) => {
        log.info(m);
        void job.updateProgress({ step: m.replace(/^[a-z0-9-]+: /, '') }).catch(() => {});
      };
      const plan = await withPackageDir(d.storage, job.data, (dir) => prepareTemplate(dir, d.storage, { signal, log: step }));
      await d.registry.addVersion(plan.templateId, plan.version, job.data.source);
      const activate = job.data.activate === 'unless-uploaded' ? !(await d.registry.uploadIsActive(plan.templateId)) : job.data.activate;
      if (activate) await d.registry.activate(plan);
      else await d.registry.markReady(plan);
      log.info({ template: plan.templateId, version: plan.version, activated: activate, segments: plan.segments.length }, 'template version prepared');
      return { templateId: plan.templateId, version: plan.version };
    } catch (e) {
      if (templateId && version) {
        const problems = e instanceof ManifestError ? e.problems : undefined;
        await d.registry.markFailed(templateId, version, problems ? 'template has problems' : safeMessage(e as Error), problems);
      }
      // A template problem will not fix itself on retry.
      if (e instanceof ManifestError) throw new UnrecoverableError(e.message);
      throw e;
    }
  };
}

/** The job's package as a local folder: a bundled one in place, an upload fetched from storage into a temporary folder. */
async function withPackageDir<T>(storage: Storage, data: PrepareJobData, fn: (dir: string) => Promise<T>): Promise<T> {
  if (data.dir) return fn(data.dir);
  if (!data.package) throw new UnrecoverableError('prepare job names no package');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kasane-package-'));
  try {
    const prefix = `${data.package}/`;
    for await (const key of storage.list(prefix)) {
      const file = path.join(dir, key.slice(prefix.length));
      await mkdir(path.dirname(file), { recursive: true });
      await storage.download(key, file);
    }
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function othersWaiting(q: RenderQueue): Promise<boolean> {
  const c = await q.getJobCounts('waiting', 'prioritized');
  return (c.waiting ?? 0) + (c.prioritized ?? 0) > 0;
}

async function withRetries<T>(fn: () => Promise<T>, tries = 6, delayMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, delayMs * 2 ** (i - 1)));
    }
  }
}

/** Error text for status responses: our own messages carry no data values; cap the length. */
function safeMessage(err: Error): string {
  return (err.message || 'render failed').split('\n')[0]!.slice(0, 300);
}
