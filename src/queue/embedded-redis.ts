// When REDIS_URL is unset the service runs its own redis-server child:
// data under var/redis with AOF on, reachable only through a unix socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedRedis {
  socket: string;
  /** The child we started, or null when another process's server was reused. */
  child: ChildProcess | null;
  stop(): Promise<void>;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection(socket);
    const done = (ok: boolean) => {
      c.destroy();
      resolve(ok);
    };
    c.setTimeout(1000, () => done(false));
    c.on('error', () => done(false));
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (b) => done(b.toString().startsWith('+PONG')));
  });
}

/** The configured binary (REDIS_SERVER_PATH), else the usual places, else PATH. */
export function redisServerPath(configured?: string): string {
  return configured || ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) || 'redis-server';
}

export async function startEmbeddedRedis(varDir: string, serverPath?: string): Promise<EmbeddedRedis> {
  const dir = path.join(varDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'redis.sock');
  // `kasane api` and `kasane worker` started separately share one server.
  if (existsSync(socket) && (await ping(socket))) return { socket, child: null, stop: async () => {} };
  const child = spawn(
    redisServerPath(serverPath),
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning', '--logfile', path.join(dir, 'redis.log')],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: false },
  );
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += b));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.on('error', () => {});
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode) {
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}): ${stderr.trim() || `see ${path.join(dir, 'redis.log')}`}. Install it with: apt-get install -y redis-server, or set REDIS_URL.`);
    }
    if (await ping(socket)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on ${socket} within 15 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  return {
    socket,
    child,
    stop: async () => {
      process.removeListener('exit', onExit);
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
