// Environment → typed, validated configuration. Fails fast with a message that
// names the variable, so a misconfigured deployment never half-starts. This is the
// only module that reads process.env; every variable is listed in docs/architecture.md.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder with package.json: from src/ under tsx, or from build/src/ when compiled. */
export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let d = from; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json')) && existsSync(path.join(d, 'templates'))) return d;
    if (path.dirname(d) === d) return path.resolve(from, '../..');
  }
}

export interface Config {
  port: number;
  host: string;
  /** Public origin used in the links we hand out, e.g. https://v.example.jp */
  publicUrl: string;
  /** Unset: the service starts its own redis-server under varDir. */
  redisUrl?: string;
  varDir: string;
  /** Where stored objects live: a local folder or an S3-compatible bucket (src/storage). */
  storage: StorageSettings;
  /** This machine's cache of stored objects as files (expanded mezzanines, segments for ffmpeg). */
  cache: { dir: string; maxBytes: number };
  /** Set: playlists list shared segments as absolute URLs on this base (a public bucket or CDN). */
  segmentBaseUrl?: string;
  templatesDir: string;
  /** Bearer keys from KASANE_API_KEYS (or var/api-key); more are created through /v1/keys. */
  apiKeys: string[];
  /** The scopes of apiKeys[i]: admin unless KASANE_API_KEYS says "key:render+template". */
  apiKeyScopes: ApiScope[][];
  /** Signing keys for viewer URLs; the first one signs, all verify (rotation). */
  signingKeys: Array<{ id: string; secret: Buffer }>;
  /** Keys content hashes of personal segments so their names reveal nothing. */
  contentSecret: Buffer;
  defaultExpiresIn: number;
  maxExpiresIn: number;
  workerConcurrency: number;
  /** Render attempts before a render is marked failed, and the first retry delay (doubles each time). */
  renderAttempts: number;
  retryDelayMs: number;
  /** How long a viewer's request for a not-yet-rendered segment may wait. */
  jitWaitMs: number;
  bodyLimit: number;
  /** Largest body a connector hook (/hooks/:id) accepts; MA tools send one contact per call. */
  hookBodyLimit: number;
  /** Largest template package upload. */
  packageMaxBytes: number;
  logLevel: LogLevel;
  /** A plain-HTTP listener with only GET /metrics, no key (private network); unset: none. */
  metricsPort?: number;
  /** CPU priority added to a worker-only process (`kasane worker`); 0 leaves it alone. */
  workerNice: number;
  /** `kasane worker` answers GET /healthz on this port (HOST) for orchestrators; unset: no health server. */
  workerHealthPort?: number;
  /** How long an API request waits for Redis to come back before it is answered 503 + Retry-After. */
  redisWaitMs: number;
  /** The redis-server binary for the embedded Redis; unset: the usual places, then PATH. */
  redisServerPath?: string;
  ffmpeg: FfmpegSettings;
  /** Where the generated API key is kept, when KASANE_API_KEYS is unset. */
  apiKeyFile?: string;
  /** For `kasane template push`: which API to upload to and with which key. */
  client: { url?: string; apiKey?: string };
  /** Images fetched from URLs in the data: allowed hosts and limits. */
  imageFetch: { allowHosts: string[]; allowPrivate: boolean; maxBytes: number; maxPixels: number; timeoutMs: number };
  /** Outbound events (webhooks, src/events): where they may go and how they are retried. */
  events: EventSettings;
  /** Deletion and expiry (src/retention): how long past a link's expiry a render is kept, how often the sweep runs. */
  retention: { graceSec: number; sweepIntervalMs: number };
}

export type StorageSettings =
  | { kind: 'local'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      /** Key prefix in the bucket, no slashes at either end ('' for none). */
      prefix: string;
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
      /** Unset: the AWS SDK's standard chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles). */
      credentials?: { accessKeyId: string; secretAccessKey: string };
    };

export interface EventSettings {
  /** Endpoint URLs may be plain http (default: only when PUBLIC_URL is http, i.e. not production). */
  allowHttp: boolean;
  /** Endpoints may be loopback, private or other non-public addresses (tests, on-prem receivers). */
  allowPrivate: boolean;
  /** The first retry delay; later ones are fixed multiples of it (5 s → about a day in all). */
  retryBaseMs: number;
  /** One delivery attempt's limit, connect to response. */
  timeoutMs: number;
  /** An endpoint whose deliveries all failed for this long is disabled. */
  disableAfterDays: number;
}

/** How every ffmpeg child runs; low-level code gets these through ffmpegSettings() or the service's config. */
export interface FfmpegSettings {
  /** Unset: the binary from @ffmpeg-installer/ffmpeg. */
  path?: string;
  /** CPU priority added to every ffmpeg child (0 disables). */
  nice: number;
  /** Run ffmpeg under SCHED_IDLE via chrt where the system allows it. */
  idleScheduling: boolean;
}

/** What an API key may do (src/access): MA tools render, operators manage templates, admin does everything. */
export const API_SCOPES = ['render', 'template', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], def: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function bool(env: NodeJS.ProcessEnv, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new ConfigError(`${name} must be 1, true, 0 or false, got "${raw}"`);
}

/** An absolute http(s) URL without trailing slashes, or undefined when unset. */
function url(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch {
    /* reported below */
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

function num(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return n;
}

/**
 * KASANE_STORAGE: unset (a folder under var/), a folder path, or s3://bucket/prefix with
 * KASANE_S3_* beside it. KASANE_STORAGE_DIR is the older name for a folder.
 */
export function storageSettings(env: NodeJS.ProcessEnv, varDir: string): StorageSettings {
  const raw = env.KASANE_STORAGE || env.KASANE_STORAGE_DIR || path.join(varDir, 'storage');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return { kind: 'local', dir: path.resolve(raw) };
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(raw);
  if (!m) throw new ConfigError(`KASANE_STORAGE must be a folder or s3://bucket/prefix, got "${raw}"`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix && !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(prefix)) throw new ConfigError(`KASANE_STORAGE: the prefix "${prefix}" may hold only letters, digits, . _ - and /`);
  const id = env.KASANE_S3_ACCESS_KEY_ID;
  const secret = env.KASANE_S3_SECRET_ACCESS_KEY;
  if (!id !== !secret) throw new ConfigError('KASANE_S3_ACCESS_KEY_ID and KASANE_S3_SECRET_ACCESS_KEY must be set together');
  return {
    kind: 's3',
    bucket: m[1]!,
    prefix,
    endpoint: url(env, 'KASANE_S3_ENDPOINT'),
    // R2 and MinIO accept any region name for signing; 'auto' is R2's, us-east-1 the SDK's usual.
    region: env.KASANE_S3_REGION || env.AWS_REGION || 'us-east-1',
    forcePathStyle: bool(env, 'KASANE_S3_FORCE_PATH_STYLE', false),
    credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined,
  };
}

/**
 * The ffmpeg settings alone, without the rest of the configuration (which creates
 * secrets under var/): for code that runs ffmpeg outside a service, e.g. tests and scripts.
 */
export function ffmpegSettings(env: NodeJS.ProcessEnv = process.env): FfmpegSettings {
  return {
    path: env.FFMPEG_PATH || undefined,
    nice: int(env, 'KASANE_FFMPEG_NICE', 19, 0, 19),
    idleScheduling: oneOf(env, 'KASANE_FFMPEG_SCHED', ['idle', 'normal'], 'idle') === 'idle',
  };
}

/**
 * Secrets that the default single-machine setup generates once and keeps under var/,
 * so links stay valid across restarts. Production sets them in the environment.
 */
function persistentSecret(varDir: string, file: string, bytes: number): string {
  const p = path.join(varDir, file);
  if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  mkdirSync(varDir, { recursive: true });
  const v = randomBytes(bytes).toString('base64url');
  writeFileSync(p, v + '\n', { mode: 0o600 });
  return v;
}

/**
 * One entry of KASANE_API_KEYS: "secret" (an admin key) or "secret:render+template".
 * Messages name the entry's position, never the key.
 */
function envKey(entry: string, i: number): { secret: string; scopes: ApiScope[] } {
  const m = /^(.*):([a-z]+(?:\+[a-z]+)*)$/.exec(entry);
  const secret = m ? m[1]! : entry;
  const scopes = m ? m[2]!.split('+') : ['admin'];
  const unknown = scopes.find((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown) throw new ConfigError(`KASANE_API_KEYS: key ${i + 1} has the unknown scope "${unknown}" (scopes: ${API_SCOPES.join(', ')})`);
  if (secret.length < 16) throw new ConfigError('KASANE_API_KEYS: every key must be at least 16 characters');
  return { secret, scopes: [...new Set(scopes as ApiScope[])] };
}

/** KASANE_SIGNING_KEYS="kid1:secret1,kid0:secret0" — first signs, all verify. */
function signingKeySettings(raw: string): Config['signingKeys'] {
  return raw.split(',').map((pair) => {
    const i = pair.indexOf(':');
    if (i <= 0) throw new ConfigError('KASANE_SIGNING_KEYS must look like "kid:secret,kid2:secret2"');
    const id = pair.slice(0, i).trim();
    const secret = pair.slice(i + 1).trim();
    if (!/^[A-Za-z0-9_-]{1,16}$/.test(id)) throw new ConfigError(`KASANE_SIGNING_KEYS: key id "${id}" must be 1-16 of [A-Za-z0-9_-]`);
    if (secret.length < 16) throw new ConfigError(`KASANE_SIGNING_KEYS: secret for "${id}" must be at least 16 characters`);
    return { id, secret: Buffer.from(secret) };
  });
}

function imageFetchSettings(env: NodeJS.ProcessEnv): Config['imageFetch'] {
  return {
    allowHosts: (env.KASANE_IMAGE_HOSTS || '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    allowPrivate: bool(env, 'KASANE_IMAGE_ALLOW_PRIVATE', false),
    maxBytes: int(env, 'KASANE_IMAGE_MAX_BYTES', 5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    maxPixels: int(env, 'KASANE_IMAGE_MAX_PIXELS', 4096 * 4096, 1024, 100_000_000),
    timeoutMs: int(env, 'KASANE_IMAGE_TIMEOUT_MS', 3000, 100, 60_000),
  };
}

function eventSettings(env: NodeJS.ProcessEnv, publicUrl: string): EventSettings {
  return {
    allowHttp: bool(env, 'KASANE_EVENT_ALLOW_HTTP', !publicUrl.startsWith('https:')),
    allowPrivate: bool(env, 'KASANE_EVENT_ALLOW_PRIVATE', false),
    retryBaseMs: int(env, 'KASANE_EVENT_RETRY_BASE_MS', 5000, 10, 600_000),
    timeoutMs: int(env, 'KASANE_EVENT_TIMEOUT_MS', 10_000, 100, 60_000),
    disableAfterDays: int(env, 'KASANE_EVENT_DISABLE_AFTER_DAYS', 5, 1, 365),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const varDir = path.resolve(env.KASANE_VAR_DIR || path.join(PROJECT_ROOT, 'var'));
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  // 127.0.0.1, not localhost: the static ffmpeg build segfaults resolving 'localhost',
  // and operators check links with it.
  const publicUrl = url(env, 'PUBLIC_URL') ?? `http://127.0.0.1:${port}`;
  const envKeys = (env.KASANE_API_KEYS || persistentSecret(varDir, 'api-key', 24))
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map(envKey);
  const apiKeys = envKeys.map((k) => k.secret);
  const signingKeys = signingKeySettings(env.KASANE_SIGNING_KEYS || `k1:${persistentSecret(varDir, 'signing-key', 32)}`);
  const contentSecret = Buffer.from(env.KASANE_CONTENT_SECRET || persistentSecret(varDir, 'content-key', 32));
  return {
    port,
    host,
    publicUrl,
    redisUrl: env.REDIS_URL || undefined,
    varDir,
    storage: storageSettings(env, varDir),
    cache: {
      dir: path.resolve(env.KASANE_CACHE_DIR || path.join(varDir, 'cache')),
      maxBytes: Math.round(num(env, 'KASANE_CACHE_MAX_GB', 20, 0.01, 100_000) * 2 ** 30),
    },
    segmentBaseUrl: url(env, 'KASANE_SEGMENT_BASE_URL'),
    templatesDir: path.resolve(env.KASANE_TEMPLATES_DIR || path.join(PROJECT_ROOT, 'templates')),
    apiKeys,
    apiKeyScopes: envKeys.map((k) => k.scopes),
    signingKeys,
    contentSecret,
    defaultExpiresIn: int(env, 'KASANE_DEFAULT_EXPIRES_IN', 30 * 24 * 3600, 60, 400 * 24 * 3600),
    maxExpiresIn: int(env, 'KASANE_MAX_EXPIRES_IN', 400 * 24 * 3600, 60, 10 * 365 * 24 * 3600),
    workerConcurrency: int(env, 'KASANE_WORKER_CONCURRENCY', 1, 1, 64),
    renderAttempts: int(env, 'KASANE_RENDER_ATTEMPTS', 4, 1, 20),
    retryDelayMs: int(env, 'KASANE_RETRY_DELAY_MS', 2000, 10, 600_000),
    jitWaitMs: int(env, 'KASANE_JIT_WAIT_MS', 8000, 0, 60_000),
    bodyLimit: int(env, 'KASANE_BODY_LIMIT', 256 * 1024, 1024, 64 * 1024 * 1024),
    hookBodyLimit: int(env, 'KASANE_HOOK_BODY_LIMIT', 256 * 1024, 1024, 16 * 1024 * 1024),
    packageMaxBytes: int(env, 'KASANE_PACKAGE_MAX_BYTES', 500 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    metricsPort: env.KASANE_METRICS_PORT ? int(env, 'KASANE_METRICS_PORT', 0, 0, 65535) : undefined,
    workerNice: int(env, 'KASANE_WORKER_NICE', 10, 0, 19),
    workerHealthPort: env.KASANE_WORKER_HEALTH_PORT ? int(env, 'KASANE_WORKER_HEALTH_PORT', 0, 1, 65535) : undefined,
    redisWaitMs: int(env, 'KASANE_REDIS_WAIT_MS', 5000, 0, 60_000),
    redisServerPath: env.REDIS_SERVER_PATH || undefined,
    ffmpeg: ffmpegSettings(env),
    apiKeyFile: env.KASANE_API_KEYS ? undefined : path.join(varDir, 'api-key'),
    client: { url: url(env, 'KASANE_URL'), apiKey: env.KASANE_API_KEY || undefined },
    imageFetch: imageFetchSettings(env),
    events: eventSettings(env, publicUrl),
    retention: {
      graceSec: int(env, 'KASANE_RETENTION_GRACE_HOURS', 24, 0, 24 * 365) * 3600,
      sweepIntervalMs: int(env, 'KASANE_RETENTION_SWEEP_MS', 15 * 60_000, 100, 24 * 3600_000),
    },
  };
}
