// API keys: the ones in KASANE_API_KEYS (checked in memory) and the ones created
// through /v1/keys, kept in Redis only as SHA-256 hashes of the secret. A request's
// key is hashed first and looked up by its hash, so neither the lookup nor its
// timing depends on how much of a guessed key is right. Every request reads Redis,
// so a revocation holds at once in every API process (no cache to invalidate).
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ApiScope, ApiKeyIdentity } from './scopes.ts';

const byDigest = (digest: string) => `kasane:apikey:${digest}`;
const digestOf = (id: string) => `kasane:apikey-id:${id}`;
const INDEX = 'kasane:apikeys';
/** last_used_at is coarse: written at most once a minute per key, not on every request. */
const TOUCH_MS = 60_000;

export const KEY_ID = /^(key_[0-9a-f]{16}|env-[0-9]{1,3})$/;

export interface ApiKeyRecord extends ApiKeyIdentity {
  /** "ksk_…a1b2": enough to tell keys apart, never enough to use one. */
  hint: string;
  source: 'api' | 'environment';
  created_at: string | null;
  /** Id of the key that created this one. */
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');
const hint = (secret: string) => `${secret.startsWith('ksk_') ? 'ksk_' : ''}…${secret.slice(-4)}`;

export class ApiKeyStore {
  private readonly env = new Map<string, ApiKeyRecord>();

  /** envKeys: KASANE_API_KEYS in order; they are env-1, env-2, … and cannot be revoked here. */
  constructor(
    private readonly redis: Redis,
    envKeys: Array<{ secret: string; scopes: ApiScope[] }>,
  ) {
    envKeys.forEach((k, i) => {
      const id = `env-${i + 1}`;
      this.env.set(sha256(k.secret), { id, name: `environment key ${i + 1}`, scopes: k.scopes, hint: hint(k.secret), source: 'environment', created_at: null, created_by: null, last_used_at: null, revoked_at: null });
    });
  }

  /** The key a bearer secret belongs to, or null for an unknown or revoked one. */
  async authenticate(secret: string): Promise<ApiKeyIdentity | null> {
    const digest = sha256(secret);
    const env = this.env.get(digest);
    if (env) return { id: env.id, name: env.name, scopes: env.scopes };
    const h = await this.redis.hgetall(byDigest(digest));
    if (!h.id || h.revoked_at) return null;
    const now = Date.now();
    if (!h.last_used_at || now - Date.parse(h.last_used_at) >= TOUCH_MS) {
      // Bookkeeping only: a failed write must not fail the request.
      this.redis.hset(byDigest(digest), 'last_used_at', new Date(now).toISOString()).catch(() => {});
    }
    return { id: h.id, name: h.name ?? '', scopes: scopesOf(h.scopes) };
  }

  /** A new key; its secret is returned here once and never stored. */
  async create(name: string, scopes: ApiScope[], createdBy: string): Promise<{ secret: string; key: ApiKeyRecord }> {
    const secret = 'ksk_' + randomBytes(32).toString('base64url');
    const id = 'key_' + randomBytes(8).toString('hex');
    const digest = sha256(secret);
    const now = new Date();
    const key: ApiKeyRecord = { id, name, scopes: [...new Set(scopes)], hint: hint(secret), source: 'api', created_at: now.toISOString(), created_by: createdBy, last_used_at: null, revoked_at: null };
    await this.redis
      .multi()
      .hset(byDigest(digest), { id, name, scopes: key.scopes.join(','), hint: key.hint, created_at: key.created_at!, created_by: createdBy })
      .set(digestOf(id), digest)
      .zadd(INDEX, now.getTime(), id)
      .exec();
    return { secret, key };
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    if (!KEY_ID.test(id)) return null;
    const env = [...this.env.values()].find((k) => k.id === id);
    if (env) return env;
    const digest = await this.redis.get(digestOf(id));
    return digest ? record(await this.redis.hgetall(byDigest(digest))) : null;
  }

  /** Environment keys first, then created keys oldest first (revoked ones included, for the record). */
  async list(): Promise<ApiKeyRecord[]> {
    const ids = await this.redis.zrange(INDEX, 0, -1);
    const digests = ids.length ? await this.redis.mget(...ids.map(digestOf)) : [];
    const pipe = this.redis.pipeline();
    for (const d of digests) if (d) pipe.hgetall(byDigest(d));
    const rows = ((await pipe.exec()) ?? []).map(([, h]) => record(h as Record<string, string>));
    return [...this.env.values(), ...rows.filter((r): r is ApiKeyRecord => !!r)];
  }

  /** Marks a created key revoked (the first revocation time stays); null when there is no such key. */
  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const digest = KEY_ID.test(id) ? await this.redis.get(digestOf(id)) : null;
    if (!digest) return null;
    await this.redis.hsetnx(byDigest(digest), 'revoked_at', new Date().toISOString());
    return record(await this.redis.hgetall(byDigest(digest)));
  }
}

function scopesOf(raw: string | undefined): ApiScope[] {
  return (raw ?? '').split(',').filter(Boolean) as ApiScope[];
}

function record(h: Record<string, string>): ApiKeyRecord | null {
  if (!h.id) return null;
  return {
    id: h.id,
    name: h.name ?? '',
    scopes: scopesOf(h.scopes),
    hint: h.hint ?? '',
    source: 'api',
    created_at: h.created_at ?? null,
    created_by: h.created_by ?? null,
    last_used_at: h.last_used_at ?? null,
    revoked_at: h.revoked_at ?? null,
  };
}
