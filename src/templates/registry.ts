// Which templates exist, their immutable versions, and which version of each
// is active — in Redis, shared by every process. Prepared plans live in
// storage and never change, so they are cached in memory forever.
import type { Redis } from 'ioredis';
import type { Storage } from '../storage/storage.ts';
import type { TemplatePlan } from './plan.ts';
import { loadPlan } from './prepare.ts';

const ACTIVE = 'kasane:templates:active';
const versionsKey = (id: string) => `kasane:template:${id}:versions`;
const versionKey = (id: string, v: string) => `kasane:template:${id}:version:${v}`;
const historyKey = (id: string) => `kasane:template:${id}:history`;

export type VersionState = 'preparing' | 'ready' | 'failed';

export interface VersionInfo {
  version: string;
  state: VersionState;
  createdAt: string;
  source: 'bundled' | 'upload';
  active: boolean;
  /** The API key that uploaded it first (snake_case as the API shows it; absent for bundled versions). */
  uploaded_by?: { id: string; name: string };
  /** Why preparation failed (template problems, never personal data). */
  problems?: Array<{ pointer: string; message: string; message_ja?: string }>;
  error?: string;
}

export class RegistryError extends Error {
  constructor(
    readonly code: 'not_found' | 'not_ready' | 'no_previous',
    message: string,
  ) {
    super(message);
  }
}

export class TemplateRegistry {
  private plans = new Map<string, TemplatePlan>();
  private active = new Map<string, { version: string; at: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly storage: Storage,
    /** How long an API process trusts its cached active version. */
    private readonly cacheMs = 1000,
  ) {}

  /** Records a version being prepared (idempotent: the same upload twice is the same version). */
  async addVersion(id: string, version: string, source: 'bundled' | 'upload', uploadedBy?: { id: string; name: string }): Promise<void> {
    const now = new Date().toISOString();
    await this.redis.zadd(versionsKey(id), 'NX', Date.now(), version);
    await this.redis.hsetnx(versionKey(id, version), 'createdAt', now);
    await this.redis.hsetnx(versionKey(id, version), 'source', source);
    await this.redis.hsetnx(versionKey(id, version), 'state', 'preparing');
    if (uploadedBy) await this.redis.hsetnx(versionKey(id, version), 'uploadedBy', JSON.stringify({ id: uploadedBy.id, name: uploadedBy.name }));
  }

  async markFailed(id: string, version: string, error: string, problems?: VersionInfo['problems']): Promise<void> {
    await this.redis.hset(versionKey(id, version), 'state', 'failed', 'error', error, 'problems', JSON.stringify(problems ?? []));
  }

  async markReady(plan: TemplatePlan): Promise<void> {
    this.plans.set(`${plan.templateId}@${plan.version}`, plan);
    await this.redis.zadd(versionsKey(plan.templateId), 'NX', Date.now(), plan.version);
    await this.redis.hset(versionKey(plan.templateId, plan.version), 'state', 'ready');
    await this.redis.hdel(versionKey(plan.templateId, plan.version), 'error', 'problems');
  }

  /** Makes a prepared version the one new renders use; renders already made keep theirs. */
  async activate(plan: TemplatePlan): Promise<void> {
    await this.markReady(plan);
    const current = await this.redis.hget(ACTIVE, plan.templateId);
    if (current === plan.version) return;
    await this.redis.hset(ACTIVE, plan.templateId, plan.version);
    await this.redis.lpush(historyKey(plan.templateId), plan.version);
    await this.redis.ltrim(historyKey(plan.templateId), 0, 99);
    this.active.set(plan.templateId, { version: plan.version, at: Date.now() });
  }

  async activateVersion(id: string, version: string): Promise<TemplatePlan> {
    const plan = await this.plan(id, version);
    if (!plan) {
      const info = await this.versionInfo(id, version);
      if (!info) throw new RegistryError('not_found', `template "${id}" has no version "${version}"`);
      throw new RegistryError('not_ready', `version ${version} is ${info.state}, not ready`);
    }
    await this.activate(plan);
    return plan;
  }

  /** Back to the version that was active before the current one. */
  async rollback(id: string): Promise<TemplatePlan> {
    const history = await this.redis.lrange(historyKey(id), 0, -1);
    const current = history[0];
    const previous = history.find((v) => v !== current);
    if (!previous) throw new RegistryError('no_previous', `template "${id}" has no earlier active version to roll back to`);
    const plan = await this.activateVersion(id, previous);
    return plan;
  }

  async uploadIsActive(id: string): Promise<boolean> {
    const v = await this.redis.hget(ACTIVE, id);
    return !!v && (await this.redis.hget(versionKey(id, v), 'source')) === 'upload';
  }

  async activeVersion(id: string): Promise<string | null> {
    const c = this.active.get(id);
    if (c && Date.now() - c.at < this.cacheMs) return c.version;
    const v = await this.redis.hget(ACTIVE, id);
    if (v) this.active.set(id, { version: v, at: Date.now() });
    return v;
  }

  async plan(id: string, version: string): Promise<TemplatePlan | null> {
    const k = `${id}@${version}`;
    const cached = this.plans.get(k);
    if (cached) return cached;
    const p = await loadPlan(this.storage, id, version);
    if (p) this.plans.set(k, p);
    return p;
  }

  async activePlan(id: string): Promise<TemplatePlan | null> {
    const v = await this.activeVersion(id);
    return v ? this.plan(id, v) : null;
  }

  async versionInfo(id: string, version: string): Promise<VersionInfo | null> {
    const h = await this.redis.hgetall(versionKey(id, version));
    if (!h.state) return null;
    const active = (await this.redis.hget(ACTIVE, id)) === version;
    return {
      version,
      state: h.state as VersionState,
      createdAt: h.createdAt ?? '',
      source: (h.source as 'bundled' | 'upload') ?? 'upload',
      active,
      ...(h.uploadedBy ? { uploaded_by: JSON.parse(h.uploadedBy) as { id: string; name: string } } : {}),
      ...(h.problems ? { problems: JSON.parse(h.problems) } : {}),
      ...(h.error ? { error: h.error } : {}),
    };
  }

  async versions(id: string): Promise<VersionInfo[]> {
    const vs = await this.redis.zrevrange(versionsKey(id), 0, -1);
    const infos = await Promise.all(vs.map((v) => this.versionInfo(id, v)));
    return infos.filter((i): i is VersionInfo => !!i);
  }

  async list(): Promise<TemplatePlan[]> {
    const all = await this.redis.hgetall(ACTIVE);
    const plans = await Promise.all(Object.entries(all).map(([id, v]) => this.plan(id, v)));
    return plans.filter((p): p is TemplatePlan => !!p).sort((a, b) => a.templateId.localeCompare(b.templateId));
  }
}
