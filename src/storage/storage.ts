// Object storage behind one small interface, with two implementations: local disk
// (local.ts, the default) and S3-compatible (s3.ts). Objects are immutable once
// written; writes are atomic so a reader never sees a partial segment. Code outside
// this folder never reads a stored object by path: tools that need a file (ffmpeg)
// get a pinned copy in this machine's cache (cached(), derived()).
import type { Readable } from 'node:stream';

export interface StoredObject {
  size: number;
  /** The bytes, or only start..end (inclusive, like HTTP ranges) when given. */
  stream(range?: { start: number; end: number }): Readable;
  /** When the object was written (objects are immutable, so this names the version). */
  mtime: Date;
}

/** A local file for tools like ffmpeg; the cache never evicts it before release(). */
export interface CachedFile {
  path: string;
  release(): void;
}

export interface Storage {
  put(key: string, data: Buffer): Promise<void>;
  /** Stores a local file and removes it (large mezzanines never pass through memory). */
  putFile(key: string, file: string): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  head(key: string): Promise<{ size: number; mtime: Date } | null>;
  open(key: string): Promise<StoredObject | null>;
  /** Copies a stored object to a local file (packages, batch CSVs); false when there is none. */
  download(key: string, file: string): Promise<boolean>;
  /** A local copy of a stored object, pinned until release(); null when there is none. */
  cached(key: string): Promise<CachedFile | null>;
  /**
   * A local file made from a stored object by `make(out, source)` (e.g. a mezzanine expanded
   * to raw frames), made once per stored version on this machine, cached and pinned like
   * cached(). `source()` gives the object as a local file (fetched only when called, so a
   * maker that already has the result, like preparation, costs no download). `ext` names
   * the made file's kind (e.g. '.yuv'). Null when the object does not exist.
   */
  derived(key: string, ext: string, make: (out: string, source: () => Promise<string>) => Promise<void>): Promise<CachedFile | null>;
  /** What derived() made from `key` on this machine, pinned, or null when it has not been made here (nothing is made or fetched). */
  derivedIfMade(key: string, ext: string): Promise<CachedFile | null>;
  delete(key: string): Promise<void>;
  /** Every stored key starting with `prefix` (a plain string prefix, as S3's; '' for all), in no set order. */
  list(prefix: string): AsyncIterable<string>;
  /** Cheap reachability check for /healthz. */
  ping(): Promise<void>;
  /** A description safe to log (no credentials). */
  readonly describe: string;
}

export class InvalidKeyError extends Error {}

/** Keys are built by our code, but refuse anything that could escape a root or confuse a bucket. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split('/').some((p) => p === '..' || p === '.')) {
    throw new InvalidKeyError(`invalid storage key: ${key}`);
  }
  return key;
}

/** A list() prefix: '' (everything) or key characters, optionally ending in '/'. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkKey(prefix.replace(/\/$/, ''));
  return prefix;
}
