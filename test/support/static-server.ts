// A throwaway static HTTP server on 127.0.0.1 (random port) for tests:
// CORS `*`, an explicit Content-Length, no caching.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  origin: string;
  server: Server;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

export const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

export interface Served {
  body: Buffer;
  type?: string;
  headers?: Record<string, string>;
  /** Send without Content-Length (chunked transfer encoding). */
  chunked?: boolean;
}
export type Route = (pathname: string, req: IncomingMessage) => Promise<Buffer | Served | null> | Buffer | Served | null;

/** Serves files under `root` (and optional extra routes tried first). */
export async function startStaticServer(root: string | null, routes: Record<string, Route | Buffer | Served> = {}): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    void handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, Buffer.from(String(e)), 'text/plain');
      else res.destroy();
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const pathname = decodeURIComponent(url.pathname);
    requests.push(pathname);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, corsHeaders());
      res.end();
      return;
    }
    const route = routes[pathname];
    let body: Buffer | Served | null = null;
    if (route) body = typeof route === 'function' ? await route(pathname, req) : route;
    else if (root) {
      const base = path.resolve(root);
      const file = path.resolve(base, '.' + pathname);
      if (file !== base && !file.startsWith(base + path.sep)) return send(res, 403, Buffer.from('forbidden'), 'text/plain');
      body = await readFile(file).catch(() => null);
    }
    if (!body) return send(res, 404, Buffer.from('not found'), 'text/plain');
    const served: Served = Buffer.isBuffer(body) ? { body } : body;
    const type = served.type ?? (pathname.endsWith('/') ? CONTENT_TYPES['.html']! : CONTENT_TYPES[path.extname(pathname)] ?? 'application/octet-stream');
    if (served.chunked) {
      res.writeHead(200, { ...corsHeaders(), ...served.headers, 'Content-Type': type, 'Cache-Control': 'no-store' });
      if (req.method !== 'HEAD') res.write(served.body);
      res.end();
      return;
    }
    send(res, 200, served.body, type, req.method === 'HEAD', served.headers);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return {
    origin: `http://127.0.0.1:${addr.port}`,
    server,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function corsHeaders(): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
    'Access-Control-Allow-Headers': '*',
  };
}

function send(res: ServerResponse, status: number, body: Buffer, type: string, head = false, extra: Record<string, string> = {}) {
  res.writeHead(status, {
    ...corsHeaders(),
    ...extra,
    'Content-Type': type,
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
  });
  res.end(head ? undefined : body);
}
