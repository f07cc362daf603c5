// Storage in a local folder: the default for one machine (`npm start`).
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { checkKey, checkPrefix, type CachedFile, type Storage, type StoredObject } from './storage.ts';
import { FileCache } from './cache.ts';

export class LocalStorage implements Storage {
  /** `cache` holds derived files (expanded mezzanines); stored objects are read in place. */
  constructor(
    readonly root: string,
    private readonly cache: FileCache = new FileCache({ dir: path.join(root, '.cache'), maxBytes: 10 * 2 ** 30 }),
  ) {}

  get describe(): string {
    return `local folder ${this.root}`;
  }

  private file(key: string): string {
    return path.join(this.root, checkKey(key));
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
      await rm(file, { force: true });
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

  async head(key: string): Promise<{ size: number; mtime: Date } | null> {
    try {
      const s = await stat(this.file(key));
      return { size: s.size, mtime: s.mtime };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async open(key: string): Promise<StoredObject | null> {
    const f = this.file(key);
    const s = await this.head(key);
    return s && { ...s, stream: (range) => createReadStream(f, range) };
  }

  async download(key: string, file: string): Promise<boolean> {
    try {
      await copyFile(this.file(key), file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** The stored file itself: on this machine it already is local, and nothing evicts it. */
  async cached(key: string): Promise<CachedFile | null> {
    return (await this.head(key)) ? { path: this.file(key), release: () => {} } : null;
  }

  async derived(key: string, ext: string, make: (out: string, source: () => Promise<string>) => Promise<void>): Promise<CachedFile | null> {
    const h = await this.head(key);
    if (!h) return null;
    return this.cache.use(FileCache.versionId(this.root, key, h, ext), ext, (out) => make(out, async () => this.file(key)));
  }

  async derivedIfMade(key: string, ext: string): Promise<CachedFile | null> {
    const h = await this.head(key);
    return h ? this.cache.peek(FileCache.versionId(this.root, key, h, ext), ext) : null;
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    checkPrefix(prefix);
    // The folder holding the prefix; names inside it are filtered by the rest of the prefix.
    const slash = prefix.lastIndexOf('/');
    const base = prefix.slice(0, slash + 1);
    const walk = async function* (root: string, rel: string): AsyncGenerator<string> {
      let entries;
      try {
        entries = await readdir(path.join(root, rel), { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw e;
      }
      for (const e of entries) {
        // Hidden: the cache folder; .tmp: a write in progress.
        if (e.name.startsWith('.') || e.name.endsWith('.tmp')) continue;
        const r = rel + e.name;
        if (e.isDirectory()) yield* walk(root, r + '/');
        else if (e.isFile()) yield r;
      }
    };
    for await (const k of walk(this.root, base)) if (k.startsWith(prefix)) yield k;
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await stat(this.root);
  }
}
