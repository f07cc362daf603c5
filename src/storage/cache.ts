// This machine's cache of stored objects as local files (ffmpeg reads files), with a
// disk budget: least recently used files are evicted first. Several processes may
// share one cache folder (a worker and its preview child): a file is filled under a
// temporary name and renamed into place, so nobody reads half a file, and each use
// leaves a pin file (pins/<id>.<pid>.<n>) that eviction respects until released.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CachedFile } from './storage.ts';

export interface CacheSettings {
  dir: string;
  maxBytes: number;
}

let pinSeq = 0;

export class FileCache {
  private readonly files: string;
  private readonly pins: string;
  private readonly filling = new Map<string, Promise<void>>();
  private evicting: Promise<void> | undefined;

  constructor(readonly settings: CacheSettings) {
    this.files = path.join(settings.dir, 'files');
    this.pins = path.join(settings.dir, 'pins');
  }

  /** A cache id for one version of one stored object (and what was made from it). */
  static id(...parts: Array<string | number>): string {
    return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 40);
  }

  /**
   * The id of stored object `key` (in `store`) as it is now, or of what was made from it
   * (`made`: the made file's kind): a replaced object is never answered from an old copy.
   */
  static versionId(store: string, key: string, head: { size: number; mtime: Date }, made?: string): string {
    return made === undefined ? FileCache.id(store, key, head.size, head.mtime.getTime()) : FileCache.id(store, key, head.size, head.mtime.getTime(), made);
  }

  /**
   * The file `id`+`ext`, filled by `fill(tmp)` when this machine has not got it yet;
   * pinned until release(). Concurrent calls in this process share one fill.
   */
  async use(id: string, ext: string, fill: (tmp: string) => Promise<void>): Promise<CachedFile> {
    const file = path.join(this.files, id + ext);
    const release = await this.pin(id);
    try {
      if (!(await this.present(file))) {
        let f = this.filling.get(file);
        if (!f) {
          f = this.fill(file, fill).finally(() => this.filling.delete(file));
          this.filling.set(file, f);
        }
        await f;
        void this.evict();
      }
    } catch (e) {
      release();
      throw e;
    }
    return { path: file, release };
  }

  /** The file `id`+`ext` pinned if this machine has it (and no fill for it is under way), else null. */
  async peek(id: string, ext: string): Promise<CachedFile | null> {
    const file = path.join(this.files, id + ext);
    if (this.filling.has(file)) return null;
    const release = await this.pin(id);
    if (await this.present(file)) return { path: file, release };
    release();
    return null;
  }

  /** Whether `file` is in the cache; if so it is marked recently used (eviction goes by modification time). */
  private async present(file: string): Promise<boolean> {
    if (!(await stat(file).then(() => true, () => false))) return false;
    const now = new Date();
    await utimes(file, now, now).catch(() => {});
    return true;
  }

  private async fill(file: string, fill: (tmp: string) => Promise<void>): Promise<void> {
    await mkdir(this.files, { recursive: true });
    const tmp = path.join(this.files, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await fill(tmp);
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private async pin(id: string): Promise<() => void> {
    await mkdir(this.pins, { recursive: true });
    const pin = path.join(this.pins, `${id}.${process.pid}.${++pinSeq}`);
    await writeFile(pin, '');
    let done = false;
    return () => {
      if (done) return;
      done = true;
      void rm(pin, { force: true });
    };
  }

  /** Removes the least recently used unpinned files until the cache is within its budget. */
  evict(): Promise<void> {
    this.evicting ??= this.evictOnce().finally(() => (this.evicting = undefined));
    return this.evicting;
  }

  private async evictOnce(): Promise<void> {
    const all = await readdir(this.files).catch(() => [] as string[]);
    // Half-written fills of processes that died (a live fill is younger than an hour).
    for (const n of all.filter((n) => n.startsWith('.'))) {
      const s = await stat(path.join(this.files, n)).catch(() => null);
      if (s && Date.now() - s.mtimeMs > 3600_000) await rm(path.join(this.files, n), { force: true });
    }
    const names = all.filter((n) => !n.startsWith('.'));
    const entries = (
      await Promise.all(names.map(async (n) => ({ n, s: await stat(path.join(this.files, n)).catch(() => null) })))
    ).filter((e) => e.s !== null) as Array<{ n: string; s: { size: number; mtimeMs: number } }>;
    let total = entries.reduce((a, e) => a + e.s.size, 0);
    if (total <= this.settings.maxBytes) return;
    const pinned = await this.livePins();
    entries.sort((a, b) => a.s.mtimeMs - b.s.mtimeMs);
    for (const e of entries) {
      if (total <= this.settings.maxBytes) break;
      if (pinned.has(e.n.replace(/\..*$/, ''))) continue;
      await rm(path.join(this.files, e.n), { force: true });
      total -= e.s.size;
    }
  }

  /** Ids pinned by a live process; pins of processes that died are removed. */
  private async livePins(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const n of await readdir(this.pins).catch(() => [] as string[])) {
      const [id, pid] = n.split('.');
      if (alive(Number(pid))) ids.add(id!);
      else await rm(path.join(this.pins, n), { force: true });
    }
    return ids;
  }

  /** Bytes in the cache now (tests, metrics). */
  async size(): Promise<number> {
    let total = 0;
    for (const n of await readdir(this.files).catch(() => [] as string[])) total += (await stat(path.join(this.files, n)).catch(() => null))?.size ?? 0;
    return total;
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
