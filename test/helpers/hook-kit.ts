// What the connector-kind tests share: a tiny prepared template (3 s, 320x180,
// one text overlay), a running service, connectors made through the API, raw
// hook calls, and a fingerprint of everything stored (to prove refusals store
// nothing).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startTestService, connectTestRedis, type TestService } from './service.ts';
import { writeTinyTemplate } from './tiny-template.ts';
import { checkRender } from './stream.ts';

export const TPL = 'kinds-tiny';
const FIELDS = {
  name: { type: 'string', required: true, maxLength: 20 },
  amount: { type: 'integer', required: true, minimum: 0 },
  plan: { type: 'string', maxLength: 10 },
  // Optional and numeric: what an empty Marketo number token leaves out.
  points: { type: 'integer', minimum: 0 },
};

/** Everything Kasane keeps about renders and connectors, plus the render jobs BullMQ holds: equal before and after = nothing stored. */
export async function storedState(redis: Redis): Promise<string> {
  const keys = (await redis.keys('kasane:*')).sort();
  const jobs = (await redis.keys('bull:*')).filter((k) => /:\d+$|:r[A-Za-z0-9]+$/.test(k)).sort();
  return JSON.stringify({ keys, jobs });
}

export interface HookAnswer {
  status: number;
  text: string;
  body: any;
  type: string | null;
}

export interface Kit {
  t: TestService;
  redis: Redis;
  /** POST /v1/connectors with the file's shared settings (startKit's `connector`), `body` winning. */
  connector(body?: Record<string, unknown>): Promise<{ id: string; hook_url: string }>;
  hook(pathAndQuery: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<HookAnswer>;
  stored(): Promise<string>;
  waitState(id: string, want: string[], ms?: number): Promise<any>;
  /** What the person gets from the render an answer names: `data` stored for it, the render done, a stream that passes every check. */
  assertRendered(answer: { render_id: string; playlist_url: string }, data: unknown): Promise<void>;
  /** A repeated delivery (the tool's retry) answers 200 with the first answer's render and link, and stores nothing new. */
  assertSameRender(first: { render_id: string; watch_url: string }, repeat: () => Promise<HookAnswer>): Promise<void>;
  close(): Promise<void>;
}

/**
 * `connector`: the connector settings a file's tests share (kind, secrets, mapping…);
 * `fields`: the template's fields where a test depends on exactly which there are.
 */
export async function startKit(prefix: string, opts: { connector?: Record<string, unknown>; fields?: Record<string, unknown> } = {}): Promise<Kit> {
  const root = mkdtempSync(path.join(os.tmpdir(), `kasane-${prefix}-`));
  await writeTinyTemplate(path.join(root, 'templates'), { id: TPL, name: 'kinds tiny', fields: opts.fields ?? FIELDS });
  const t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'templates'), KASANE_STORAGE_DIR: path.join(root, 'storage'), KASANE_RENDER_ATTEMPTS: '1' } });
  await t.svc.prepareBundled();
  const redis = connectTestRedis(t.varDir);
  const stored = () => storedState(redis);
  return {
    t,
    redis,
    async connector(body = {}) {
      const res = await t.api('POST', '/v1/connectors', { name: prefix, template: TPL, ...opts.connector, ...body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    },
    async hook(p, init) {
      const res = await fetch(`${t.url}${p}`, { method: init.method ?? 'POST', headers: init.headers, body: init.body });
      const text = await res.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return { status: res.status, text, body, type: res.headers.get('content-type') };
    },
    stored,
    waitState: t.waitState,
    async assertRendered(answer, data) {
      assert.deepEqual(JSON.parse((await redis.hget(`kasane:render:${answer.render_id}`, 'data'))!), data);
      const done = await t.waitState(answer.render_id, ['done', 'failed']);
      assert.equal(done.state, 'done', done.error);
      const report = await checkRender(t, TPL, answer.playlist_url);
      assert.deepEqual(report.failures, []);
    },
    async assertSameRender(first, repeat) {
      const before = await stored();
      const b = await repeat();
      assert.equal(b.status, 200, b.text);
      assert.equal(b.body.render_id, first.render_id);
      assert.equal(b.body.watch_url, first.watch_url);
      assert.equal(await stored(), before);
    },
    async close() {
      redis.disconnect();
      await t.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
