// Which templates exist and which version of each is active, in Redis;
// prepared plans in storage (immutable, so cached in memory forever).
import type { Redis } from 'ioredis';
import type { Storage } from '../storage/storage.ts';
import type { TemplatePlan } from './plan.ts';
import { loadPlan } from './prepare.ts';

const ACTIVE = 'kasane:templates:active';

export class TemplateRegistry {
  private plans = new Map<string, TemplatePlan>();
  private active = new Map<string, { version: string; at: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly storage: Storage,
    /** How long an API process trusts its cached active version. */
    private readonly cacheMs = 1000,
  ) {}

  async activate(plan: TemplatePlan): Promise<void> {
    this.plans.set(`${plan.templateId}@${plan.version}`, plan);
    await this.redis.hset(ACTIVE, plan.templateId, plan.version);
    this.active.set(plan.templateId, { version: plan.version, at: Date.now() });
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

  async list(): Promise<TemplatePlan[]> {
    const all = await this.redis.hgetall(ACTIVE);
    const plans = await Promise.all(Object.entries(all).map(([id, v]) => this.plan(id, v)));
    return plans.filter((p): p is TemplatePlan => !!p).sort((a, b) => a.templateId.localeCompare(b.templateId));
  }
}
