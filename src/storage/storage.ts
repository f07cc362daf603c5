// Object storage behind one small interface. Objects are immutable once
// written; writes are atomic so a reader never sees a partial segment.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface StoredObject {
  size: number;
  /** The bytes, or only start..end (inclusive, like HTTP ranges) when given. */
  stream(range?: { start: number; end: number }): Readable;
  /** When the object was written (objects are immutable, so this names the version). */
  mtime: Date;
}

export interface Storage {
  put(key: string, data: Buffer): Promise<void>;
  /** Stores a local file (moved when possible; large mezzanines never pass through memory). */
  putFile(key: string, file: string): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  head(key: string): Promise<{ size: number } | null>;
  open(key: string): Promise<StoredObject | null>;
  /** A local file path for tools like ffmpeg (remote stores download to a cache). */
  localPath(key: string): Promise<string>;
  delete(key: string): Promise<void>;
  /** Every stored key starting with `prefix` (a plain string prefix, as S3's), in no set order. */
  list(prefix: string): AsyncIterable<string>;
  /** Cheap reachability check for /healthz. */
  ping(): Promise<void>;
}

export class InvalidKeyError extends Error {}

export class LocalStorage implements Storage {
  constructor(readonly root: string) {}

  private file(key: string): string {
    // Keys are built by our code, but refuse anything that could escape the root.
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split('/').some((p) => p === '..' || p === '.')) {
      throw new InvalidKeyError(`invalid storage key: ${key}`);
    }
    return path.join(this.root, key);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const f = this.file(key);
    await mkdir(path.dirname(f), { recursive: true });
    // Write then rename: rename is atomic on one filesystem.
    const tmp = `${f}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, f);
  }

  async putFile(key: string, file: string): Promise<void> {
    const f = this.file(key);
    await mkdir(path.dirname(f), { recursive: true });
    const tmp = `${f}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await rename(file, tmp);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      await copyFile(file, tmp); // another filesystem
    }
    await rename(tmp, f);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.file(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const s = await stat(this.file(key));
      return { size: s.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async open(key: string): Promise<StoredObject | null> {
    const f = this.file(key);
    let s;
    try {
      s = await stat(f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return { size: s.size, mtime: s.mtime, stream: (range) => createReadStream(f, range) };
  }

  async localPath(key: string): Promise<string> {
    return this.file(key);
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    // Walk only the folder the prefix names; a half-written object (.tmp) is not an object yet.
    const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const walk = async function* (rel: string, abs: string): AsyncGenerator<string> {
      let entries;
      try {
        entries = await readdir(abs, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw e;
      }
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(key + '/')) yield* walk(key, path.join(abs, e.name));
        } else if (e.isFile() && key.startsWith(prefix) && !key.endsWith('.tmp')) yield key;
      }
    };
    yield* walk(dir, dir ? path.join(this.root, dir) : this.root);
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await stat(this.root);
  }
}
