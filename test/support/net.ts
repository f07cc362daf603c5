// Small helpers for tests that start their own processes and listeners.
import net from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for a child process to listen on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Polls `fn` every 100 ms until it answers true (a throw counts as false); throws after `ms`. */
export async function waitFor(fn: () => Promise<boolean>, ms: number): Promise<void> {
  for (const end = Date.now() + ms; ; ) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
