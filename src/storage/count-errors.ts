// Counts failed storage operations (kasane_storage_errors_total, by operation name)
// around any storage implementation, without touching it: a missing object is an
// answer (null), not an error; a thrown disk or network failure is counted, then rethrown.
import { storageErrorsTotal } from '../metrics/index.ts';

export function countStorageErrors<T extends object>(storage: T): T {
  return new Proxy(storage, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string' || prop === 'constructor') return v;
      return function (this: unknown, ...args: unknown[]) {
        let r: unknown;
        try {
          r = (v as (...a: unknown[]) => unknown).apply(target, args);
        } catch (e) {
          storageErrorsTotal.inc({ op: prop });
          throw e;
        }
        if (r instanceof Promise) return r.catch((e: unknown) => { storageErrorsTotal.inc({ op: prop }); throw e; });
        return r;
      };
    },
  });
}
