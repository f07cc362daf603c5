// What the connector-kind tests share: a tiny prepared template (3 s, 320x180,
// one text overlay), a running service, connectors made through the API, raw
// hook calls, and a fingerprint of everything stored (to prove refusals store
// nothing).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startTestService, type TestService } from './service.ts';
import { runFfmpeg } from '../../src/video/ffmpeg.ts';

export const TPL = 'kinds-tiny';
const FIELDS = {
  name: { type: 'string', required: true, maxLength: 20 },
  amount: { type: 'integer', required: true, minimum: 0 },
  plan: { type: 'string', maxLength: 10 },
  // Optional and numeric: what an empty Marketo number token leaves out.
  points: { type: 'integer', minimum: 0 },
};

export interface Kit {
  t: TestService;
  redis: Redis;
  connector(body: Record<string, unknown>): Promise<{ id: string; hook_url: string }>;
  hook(pathAndQuery: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string; body: any; type: string | null }>;
  stored(): Promise<string>;
  waitState(id: string, want: string[], ms?: number): Promise<any>;
  close(): Promise<void>;
}

export async function startKit(prefix: string): Promise<Kit> {
  const root = mkdtempSync(path.join(os.tmpdir(), `kasane-${prefix}-`));
  const dir = path.join(root, 'templates', TPL);
  mkdirSync(dir, { recursive: true });
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path.join(dir, 'clip.mp4')]);
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id: TPL, name: 'kinds tiny', video: { file: 'clip.mp4' }, encoder: { preset: 'ultrafast' }, fields: FIELDS,
    layers: [{ id: 'hi', type: 'text', start: 1, end: 2, box: { x: 10, y: 60, width: 300, height: 60 }, text: '{{name}} {{amount}}', style: { fontSize: 24, color: '#ffffff' } }],
  }));
  const t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'templates'), KASANE_STORAGE_DIR: path.join(root, 'storage'), KASANE_RENDER_ATTEMPTS: '1' } });
  await t.svc.prepareBundled();
  const redis = new Redis({ path: path.join(t.varDir, 'redis', 'redis.sock'), maxRetriesPerRequest: null });
  return {
    t,
    redis,
    async connector(body) {
      const res = await t.api('POST', '/v1/connectors', { name: prefix, template: TPL, ...body });
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
    async stored() {
      const keys = (await redis.keys('kasane:*')).sort();
      const jobs = (await redis.keys('bull:*')).filter((k) => /:\d+$|:r[A-Za-z0-9]+$/.test(k)).sort();
      return JSON.stringify({ keys, jobs });
    },
    async waitState(id, want, ms = 60_000) {
      for (const end = Date.now() + ms; ; ) {
        const r = (await t.api('GET', `/v1/renders/${id}`)).body;
        if (want.includes(r.state)) return r;
        if (Date.now() > end) throw new Error(`render ${id} still ${r.state}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    async close() {
      redis.disconnect();
      await t.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
