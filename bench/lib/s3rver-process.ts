// s3rver in its own process for bench/storage.ts, so its CPU is measured apart from
// the client's and the services'. Prints {port, proxyPort} on stdout once listening.
// Over IPC: 'counts' → the requests served so far by method (HEAD/GET/PUT/…) and bytes;
// a latency proxy (optional) delays every chunk each way by `delayMs` on a second port,
// a cheap stand-in for the round trip to a real bucket in another box.
//   node --import tsx bench/lib/s3rver-process.ts '{"dir":"…","bucket":"…","delayMs":5}'
import { createRequire } from 'node:module';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);
// No type declarations ship with s3rver (a Koa app).
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => {
  middleware: Array<(ctx: { method: string; length?: number; request: { length?: number } }, next: () => Promise<void>) => Promise<void>>;
  run(): Promise<AddressInfo>;
};

const o = JSON.parse(process.argv[2]!) as { dir: string; bucket: string; delayMs?: number };
const counts: Record<string, number> = {};
const bytes = { in: 0, out: 0 };
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: o.dir, configureBuckets: [{ name: o.bucket, configs: [] }] });
// First in the chain (Koa composes its middleware list when it starts listening).
server.middleware.unshift(async (ctx, next) => {
  counts[ctx.method] = (counts[ctx.method] ?? 0) + 1;
  bytes.in += ctx.request.length ?? 0;
  await next();
  bytes.out += ctx.length ?? 0;
});
const { port } = await server.run();

let proxyPort = 0;
if (o.delayMs) {
  const delay = o.delayMs;
  // Each direction's chunks are delayed by the same amount, so their order is kept.
  const relay = (from: net.Socket, to: net.Socket) => {
    from.on('data', (b) => setTimeout(() => to.write(b), delay));
    from.on('end', () => setTimeout(() => to.end(), delay));
    from.on('error', () => to.destroy());
  };
  const proxy = net.createServer((client) => {
    const up = net.connect(port, '127.0.0.1');
    client.setNoDelay(true);
    up.setNoDelay(true);
    relay(client, up);
    relay(up, client);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyPort = (proxy.address() as AddressInfo).port;
}

process.on('message', (m) => {
  if (m === 'counts') process.send!({ counts: { ...counts }, bytes: { ...bytes } });
});
process.stdout.write(`${JSON.stringify({ port, proxyPort })}\n`);
