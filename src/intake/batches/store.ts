// Batch records in Redis (any API process answers progress, any worker runs it);
// the CSV and its result live in shared storage under batches/<id>/.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BatchSpec } from './spec.ts';

export type BatchState = 'queued' | 'running' | 'done' | 'failed';
const key = (id: string) => `kasane:batch:${id}`;
/** Kept a week: long enough to fetch the result, not for ever. */
const TTL_SEC = 7 * 24 * 3600;

export const newBatchId = () => 'b_' + randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
export const BATCH_ID = /^b_[A-Za-z0-9]{16}$/;
export const inputKey = (id: string) => `batches/${id}/input.csv`;
export const resultKey = (id: string) => `batches/${id}/result.csv`;

export interface BatchProgress {
  id: string;
  state: BatchState;
  template: string;
  encoding: string;
  /** Data rows in the file (counted at upload). */
  rows: number;
  /** Rows read and answered so far (done + failed). */
  processed: number;
  /** Rows that got a render (warnings included). */
  done: number;
  /** Rows with status=error. */
  failed: number;
  /** Rows that got a render but with a warning (unknown skus…). */
  warned: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

export class BatchStore {
  constructor(private readonly redis: Redis) {}

  async create(id: string, spec: BatchSpec, rows: number): Promise<void> {
    await this.redis.multi().hset(key(id), { spec: JSON.stringify(spec), state: 'queued', rows, done: 0, failed: 0, warned: 0, created_at: new Date().toISOString() }).expire(key(id), TTL_SEC).exec();
  }

  async spec(id: string): Promise<BatchSpec | null> {
    const s = await this.redis.hget(key(id), 'spec');
    return s ? (JSON.parse(s) as BatchSpec) : null;
  }

  async get(id: string): Promise<BatchProgress | null> {
    if (!BATCH_ID.test(id)) return null;
    const h = await this.redis.hgetall(key(id));
    if (!h.spec) return null;
    const spec = JSON.parse(h.spec) as BatchSpec;
    const n = (k: string) => Number(h[k] ?? 0);
    return {
      id,
      state: h.state as BatchState,
      template: spec.template,
      encoding: spec.encoding,
      rows: n('rows'),
      processed: n('done') + n('failed'),
      done: n('done'),
      failed: n('failed'),
      warned: n('warned'),
      created_at: h.created_at ?? '',
      started_at: h.started_at || null,
      finished_at: h.finished_at || null,
      error: h.error || null,
    };
  }

  /** A (re)started run counts from zero: a retried job writes the whole result again. */
  async start(id: string): Promise<void> {
    await this.redis.hset(key(id), { state: 'running', done: 0, failed: 0, warned: 0, started_at: new Date().toISOString(), error: '' });
  }

  /** One write per chunk of rows, not per row. */
  async count(id: string, done: number, failed: number, warned: number): Promise<void> {
    await this.redis.multi().hincrby(key(id), 'done', done).hincrby(key(id), 'failed', failed).hincrby(key(id), 'warned', warned).exec();
  }

  async finish(id: string, state: 'done' | 'failed', error?: string): Promise<void> {
    await this.redis.hset(key(id), { state, finished_at: new Date().toISOString(), error: error ?? '' });
  }
}
