// The one place that turns configuration into a Storage.
import type { Config } from '../config/index.ts';
import type { Logger } from '../config/logger.ts';
import type { Storage } from './storage.ts';
import { FileCache } from './cache.ts';
import { LocalStorage } from './local.ts';
import { S3Storage, type StorageErrorHook } from './s3.ts';

export function openStorage(config: Pick<Config, 'storage' | 'cache'>, opts: { log?: Logger; onError?: StorageErrorHook } = {}): Storage {
  const cache = new FileCache(config.cache);
  const s = config.storage;
  if (s.kind === 'local') return new LocalStorage(s.dir, cache);
  return new S3Storage(s, cache, opts.log?.child({ name: 'storage' }), opts.onError);
}
