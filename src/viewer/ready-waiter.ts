// Lets a viewer's segment request wait (bounded) for a worker to finish that
// segment: Redis pub/sub wakes it at once; a slow poll of storage covers a
// missed message.
import type { Redis } from 'ioredis';
import type { Storage } from '../storage/storage.ts';
import { READY_CHANNEL } from '../render/records.ts';

export class ReadyWaiter {
  private waiters = new Map<string, Set<() => void>>();
  private ready: Promise<unknown>;

  constructor(
    private readonly sub: Redis,
    private readonly storage: Storage,
  ) {
    this.ready = sub.subscribe(READY_CHANNEL);
    sub.on('message', (_ch: string, key: string) => {
      const set = this.waiters.get(key);
      if (set) for (const fn of set) fn();
    });
  }

  /** Resolves true when the object exists, false when the wait ran out. */
  async wait(key: string, ms: number): Promise<boolean> {
    await this.ready;
    if (await this.storage.head(key)) return true;
    return new Promise((resolve) => {
      let done = false;
      const set = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, set);
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        set.delete(wake);
        if (set.size === 0) this.waiters.delete(key);
        resolve(ok);
      };
      const wake = () => finish(true);
      set.add(wake);
      const timer = setTimeout(() => finish(false), ms);
      const poll = setInterval(() => {
        void this.storage.head(key).then((h) => h && finish(true), () => {});
      }, 500);
    });
  }

  async close(): Promise<void> {
    await this.sub.quit().catch(() => {});
  }
}
