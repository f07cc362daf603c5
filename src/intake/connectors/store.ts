// Connectors live in Redis as one JSON document each (they are configuration,
// read on every hook call and written rarely). Secrets are stored in full
// because the kinds verify with them; anything leaving the service shows a hint.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Connector } from './types.ts';

const key = (id: string) => `kasane:connector:${id}`;
const INDEX = 'kasane:connectors';

export const newConnectorId = () => 'c_' + randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
export const CONNECTOR_ID = /^c_[A-Za-z0-9]{16}$/;

/** "…a1b2": enough to tell which secret is which, never enough to use one. */
export function secretHint(secret: string): string {
  const prefix = secret.startsWith('whsec_') ? 'whsec_' : '';
  return `${prefix}…${secret.slice(-4)}`;
}

/** The connector as the API shows it: secrets replaced by hints. */
export function publicConnector(c: Connector) {
  const { secrets, ...rest } = c;
  return { ...rest, secrets: secrets.map((s) => ({ hint: secretHint(s) })) };
}

export class ConnectorStore {
  constructor(private readonly redis: Redis) {}

  async get(id: string): Promise<Connector | null> {
    if (!CONNECTOR_ID.test(id)) return null;
    const raw = await this.redis.get(key(id));
    return raw ? (JSON.parse(raw) as Connector) : null;
  }

  async put(c: Connector): Promise<void> {
    await this.redis.multi().set(key(c.id), JSON.stringify(c)).sadd(INDEX, c.id).exec();
  }

  async delete(id: string): Promise<boolean> {
    const [[, n] = [null, 0]] = (await this.redis.multi().del(key(id)).srem(INDEX, id).exec()) ?? [];
    return n === 1;
  }

  async list(): Promise<Connector[]> {
    const ids = (await this.redis.smembers(INDEX)).sort();
    if (!ids.length) return [];
    const raws = await this.redis.mget(...ids.map(key));
    return raws.filter((r): r is string => !!r).map((r) => JSON.parse(r) as Connector);
  }
}
