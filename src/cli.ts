// kasane start | api | worker | prepare <dir> | render --template <dir> --data <file> --out <dir>
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startService } from './runtime.ts';
import { LocalStorage } from './storage/local.ts';
import { openStorage } from './storage/open-storage.ts';
import { loadPlan, packageFiles, prepareTemplate } from './templates/prepare.ts';
import { zipFiles } from './templates/package/zip-writer.ts';
import { exampleData, validateData } from './templates/fields.ts';
import { ManifestError } from './templates/manifest.ts';
import { drawContext, renderPersonalSegments, resolveInputs, segmentKeys } from './render/personalize.ts';
import { mediaPlaylist } from './viewer/playlist.ts';
import { loadConfig, ConfigError, type Config } from './config/index.ts';
import { createLogger, type Logger } from './config/logger.ts';
import { configureFfmpeg } from './video/ffmpeg.ts';

const USAGE = `usage:
  kasane start                 API + worker + embedded Redis, bundled templates, prints a playable link
  kasane api                   HTTP API only (REDIS_URL or the embedded Redis)
  kasane worker                background worker only
  kasane prepare <template-dir>   prepare a template version locally and print its plan summary
  kasane template push <dir> [--url <api>] [--key <api key>] [--no-activate] [--no-wait]
                               upload a template folder as a new version (validated; problems listed)
  kasane connector create --file <connector.json> | list | get <id> | update <id> --file <patch.json> | delete <id>
                               [--url <api>] [--key <api key>]   configure MA-tool connectors (docs/connectors.md)
  kasane key create --name <name> --scope render|template|admin [--scope …] | list | revoke <id>
                               [--url <api>] [--key <admin key>]   API keys with scopes (docs/api.md, "Keys and scopes")
  kasane batch run <file.csv> (--template <id> --mapping <mapping.json> | --connector <id>) [--out <result.csv>]
                  [--encoding utf-8|shift_jis] [--url <api>] [--key <api key>]
                               campaign CSV → renders (lazy by default); prints progress, writes the result CSV
  kasane render --template <dir> --data <file.json> --out <dir> [--cache <dir>]
                               render one personalized video to an HLS folder, without Redis or HTTP`;

/**
 * For commands that work without a service: ffmpeg runs with the config's settings, and
 * the returned logger writes progress to stderr (JSON lines, LOG_LEVEL). stdout and the
 * plain-text messages below are the command's own output: usage, results, links, and
 * problems a person must fix.
 */
function setUpCommand(cfg: Config): Logger {
  configureFfmpeg(cfg.ffmpeg);
  return createLogger(cfg.logLevel, { name: 'cli', destination: 2 });
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
      return start(true, true);
    case 'api':
      return start(true, false);
    case 'worker':
      lowerPriority(loadConfig().workerNice);
      return start(false, true);
    case 'prepare':
      return prepare(rest);
    case 'render':
      return renderOnce(rest);
    case 'batch':
      if (rest[0] === 'run') return batchRun(rest.slice(1));
      console.error(USAGE);
      return 2;
    case 'template':
      if (rest[0] === 'push') return templatePush(rest.slice(1));
      console.error(USAGE);
      return 2;
    case 'connector':
      return connectorCommand(rest);
    case 'key':
      return keyCommand(rest);
    default:
      console.error(USAGE);
      return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
  }
}

/**
 * A worker-only process is background work: it yields the CPU to API processes on the
 * same machine (accept latency), and its ffmpeg children inherit the lower priority.
 */
function lowerPriority(n: number): void {
  if (n <= 0) return;
  try {
    os.setPriority(Math.min(19, os.getPriority() + n));
  } catch {
    /* not permitted */
  }
}

async function start(api: boolean, worker: boolean): Promise<number> {
  const svc = await startService({ api, worker, warmPreviews: api });
  const stop = async () => {
    await svc.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (api && worker) {
    svc.logger.info('preparing bundled templates');
    const prepared = await svc.prepareBundled();
    const key = svc.config.apiKeys[0]!;
    console.log(`\nKasane is running on ${svc.config.publicUrl}`);
    console.log(`API key (Authorization: Bearer …): ${key}${svc.config.apiKeyFile ? `  (kept in ${svc.config.apiKeyFile})` : ''}`);
    for (const p of prepared) {
      const plan = await loadPlan(openStorage(svc.config), p.templateId, p.version);
      const res = await svc.app!.inject({
        method: 'POST',
        url: '/v1/renders',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: { template: p.templateId, data: exampleData(plan!.manifest.fields), external_id: 'demo' },
      });
      const body = res.json() as { player_url: string; poster_url: string; playlist_url: string; mp4_url: string };
      console.log(`\n  ${p.templateId} (${p.version})\n    watch:    ${body.player_url}\n    poster:   ${body.poster_url}\n    playlist: ${body.playlist_url}\n    mp4:      ${body.mp4_url}`);
    }
    console.log(`\nOperator console: ${svc.config.publicUrl}/console/  (sign in with the API key above)`);
    console.log(`API reference:    ${svc.config.publicUrl}/docs`);
    console.log(`\nTry: curl -s -H 'Authorization: Bearer ${key}' ${svc.config.publicUrl}/v1/templates\n`);
  }
  return -1; // keep running
}

async function prepare(args: string[]): Promise<number> {
  const dir = args[0];
  if (!dir) {
    console.error(USAGE);
    return 2;
  }
  const cfg = loadConfig();
  const log = setUpCommand(cfg);
  const storage = new LocalStorage(path.join(cfg.varDir, 'storage'));
  const plan = await prepareTemplate(path.resolve(dir), storage, { log: (m) => log.info(m) });
  console.log(JSON.stringify({ template: plan.templateId, version: plan.version, segments: plan.segments.map((s) => ({ index: s.index, kind: s.kind, duration: s.duration, layers: s.layers })) }, null, 2));
  return 0;
}

async function templatePush(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { url: { type: 'string' }, key: { type: 'string' }, 'no-activate': { type: 'boolean' }, 'no-wait': { type: 'boolean' } } });
  const dir = positionals[0];
  if (!dir) {
    console.error(USAGE);
    return 2;
  }
  const cfg = loadConfig();
  const log = setUpCommand(cfg);
  const url = (values.url ?? cfg.client.url ?? cfg.publicUrl).replace(/\/+$/, '');
  const key = values.key ?? cfg.client.apiKey ?? cfg.apiKeys[0]!;
  const files = await packageFiles(path.resolve(dir));
  const zip = await zipFiles(await Promise.all(files.map(async (name) => ({ name, data: await readFile(path.join(path.resolve(dir), name)) }))));
  log.info({ files: files.length, bytes: zip.length, url }, 'uploading template package');
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), `${path.basename(path.resolve(dir))}.zip`);
  const qs = new URLSearchParams({ activate: values['no-activate'] ? 'false' : 'true', wait: values['no-wait'] ? 'false' : 'true' });
  const res = await fetch(`${url}/v1/templates?${qs}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  const body = (await res.json()) as { error?: { message: string; problems?: Array<{ pointer: string; message: string; message_ja?: string }> } } & Record<string, unknown>;
  if (!res.ok) {
    console.error(`rejected (${res.status}): ${body.error?.message}`);
    for (const p of body.error?.problems ?? []) console.error(`  ${p.pointer}: ${p.message}${p.message_ja ? `\n    ${p.message_ja}` : ''}`);
    return 1;
  }
  console.log(JSON.stringify(body, null, 2));
  return 0;
}

/** kasane connector …: the /v1/connectors API from a shell (secrets go in from a file, never on the command line). */
async function connectorCommand(args: string[]): Promise<number> {
  const [sub, ...more] = args;
  const { values, positionals } = parseArgs({ args: more, allowPositionals: true, options: { url: { type: 'string' }, key: { type: 'string' }, file: { type: 'string' } } });
  const id = positionals[0];
  const needsId = sub === 'get' || sub === 'update' || sub === 'delete';
  const needsFile = sub === 'create' || sub === 'update';
  if (!sub || !['create', 'list', 'get', 'update', 'delete'].includes(sub) || (needsId && !id) || (needsFile && !values.file)) {
    console.error(USAGE);
    return 2;
  }
  const cfg = loadConfig();
  const url = (values.url ?? cfg.client.url ?? cfg.publicUrl).replace(/\/+$/, '');
  const key = values.key ?? cfg.client.apiKey ?? cfg.apiKeys[0]!;
  const body = needsFile ? await readFile(values.file === '-' ? '/dev/stdin' : values.file!, 'utf8') : undefined;
  const method = { create: 'POST', list: 'GET', get: 'GET', update: 'PATCH', delete: 'DELETE' }[sub]!;
  const res = await fetch(`${url}/v1/connectors${id ? `/${encodeURIComponent(id)}` : ''}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body,
  });
  if (res.status === 204) return 0;
  const out = (await res.json()) as { error?: { message: string; problems?: Array<{ pointer: string; message: string }> } } & Record<string, unknown>;
  if (!res.ok) {
    console.error(`rejected (${res.status}): ${out.error?.message}`);
    for (const p of out.error?.problems ?? []) console.error(`  ${p.pointer}: ${p.message}`);
    return 1;
  }
  console.log(JSON.stringify(out, null, 2));
  return 0;
}

/** kasane key …: the /v1/keys API from a shell, with an admin key. A new key's secret is printed once, here. */
async function keyCommand(args: string[]): Promise<number> {
  const [sub, ...more] = args;
  const { values, positionals } = parseArgs({ args: more, allowPositionals: true, options: { url: { type: 'string' }, key: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string', multiple: true } } });
  const id = positionals[0];
  if (!sub || !['create', 'list', 'revoke'].includes(sub) || (sub === 'revoke' && !id) || (sub === 'create' && (!values.name || !values.scope?.length))) {
    console.error(USAGE);
    return 2;
  }
  const cfg = loadConfig();
  const url = (values.url ?? cfg.client.url ?? cfg.publicUrl).replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${values.key ?? cfg.client.apiKey ?? cfg.apiKeys[0]!}`, 'content-type': 'application/json' };
  // "--scope render,template" and "--scope render --scope template" both work.
  const scopes = (values.scope ?? []).flatMap((v) => v.split(/[,+]/)).map((v) => v.trim()).filter(Boolean);
  const res =
    sub === 'create'
      ? await fetch(`${url}/v1/keys`, { method: 'POST', headers, body: JSON.stringify({ name: values.name, scopes }) })
      : sub === 'list'
        ? await fetch(`${url}/v1/keys`, { headers })
        : await fetch(`${url}/v1/keys/${encodeURIComponent(id!)}`, { method: 'DELETE', headers: { authorization: headers.authorization } });
  if (res.status === 204) {
    console.log(`revoked ${id}`);
    return 0;
  }
  const out = (await res.json()) as { error?: { message: string; problems?: Array<{ pointer: string; message: string }> } } & Record<string, unknown>;
  if (!res.ok) {
    console.error(`rejected (${res.status}): ${out.error?.message}`);
    for (const p of out.error?.problems ?? []) console.error(`  ${p.pointer}: ${p.message}`);
    return 1;
  }
  if (sub === 'create') {
    console.log(JSON.stringify(out, null, 2));
    console.error('the secret is shown only this once: store it now');
    return 0;
  }
  type Row = { id: string; name: string; scopes: string[]; hint: string; last_used_at: string | null; revoked_at: string | null };
  for (const k of (out as unknown as { keys: Row[] }).keys) {
    console.log([k.id, k.hint, k.scopes.join('+'), k.revoked_at ? `revoked ${k.revoked_at}` : `last used ${k.last_used_at ?? 'never'}`, k.name].join('\t'));
  }
  return 0;
}

/** Uploads a CSV through the API, shows progress until the batch ends, then saves the result CSV (streamed). */
async function batchRun(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { template: { type: 'string' }, mapping: { type: 'string' }, connector: { type: 'string' }, out: { type: 'string' }, encoding: { type: 'string' }, url: { type: 'string' }, key: { type: 'string' } } });
  const file = positionals[0];
  if (!file || (!values.connector && (!values.template || !values.mapping))) {
    console.error(USAGE);
    return 2;
  }
  const cfg = loadConfig();
  const url = (values.url ?? cfg.client.url ?? cfg.publicUrl).replace(/\/+$/, '');
  const auth = { authorization: `Bearer ${values.key ?? cfg.client.apiKey ?? cfg.apiKeys[0]!}` };
  // The mapping file is the API's "mapping" part; --template and --connector fill in or override.
  const spec = { ...(values.mapping ? (JSON.parse(await readFile(values.mapping, 'utf8')) as object) : {}), ...(values.template ? { template: values.template } : {}), ...(values.connector ? { connector: values.connector } : {}) };
  const form = new FormData();
  form.append('mapping', JSON.stringify(spec));
  if (values.encoding) form.append('encoding', values.encoding);
  form.append('file', await openAsBlob(file, { type: 'text/csv' }), path.basename(file));
  const res = await fetch(`${url}/v1/batches`, { method: 'POST', headers: auth, body: form });
  const body = (await res.json()) as { id: string; rows: number; error?: { message: string; problems?: Array<{ pointer: string; message: string }> } };
  if (res.status !== 202) {
    console.error(`rejected (${res.status}): ${body.error?.message}`);
    for (const p of body.error?.problems ?? []) console.error(`  ${p.pointer}: ${p.message}`);
    return 1;
  }
  console.error(`batch ${body.id}: ${body.rows} rows`);
  type Progress = { state: string; processed: number; done: number; failed: number; warned: number; error: string | null };
  let p: Progress;
  for (;;) {
    p = (await (await fetch(`${url}/v1/batches/${body.id}`, { headers: auth })).json()) as Progress;
    console.error(`  ${p.state}: ${p.processed}/${body.rows} rows (${p.failed} with errors)`);
    if (p.state === 'done' || p.state === 'failed') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (p.state === 'failed') {
    console.error(`batch failed: ${p.error}`);
    return 1;
  }
  const out = values.out ?? file.replace(/(\.csv)?$/i, '-result.csv');
  const result = await fetch(`${url}/v1/batches/${body.id}/result.csv`, { headers: auth });
  if (!result.ok || !result.body) {
    console.error(`could not download the result (${result.status})`);
    return 1;
  }
  await pipeline(Readable.fromWeb(result.body as import('node:stream/web').ReadableStream), createWriteStream(out));
  console.log(`${out}: ${p.done} rows with links (${p.warned} with warnings), ${p.failed} rows with errors (status=error)`);
  return 0;
}

async function renderOnce(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { template: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, cache: { type: 'string' } } });
  if (!values.template || !values.out) {
    console.error(USAGE);
    return 2;
  }
  const cfg = loadConfig();
  const log = setUpCommand(cfg);
  const cache = path.resolve(values.cache ?? path.join(cfg.varDir, 'cli-storage'));
  const storage = new LocalStorage(cache);
  const t0 = performance.now();
  const plan = await prepareTemplate(path.resolve(values.template), storage, { log: (m) => log.info(m) });
  const t1 = performance.now();
  const raw = values.data ? JSON.parse(await readFile(values.data, 'utf8')) : exampleData(plan.manifest.fields);
  const { value, problems } = validateData(plan.manifest.fields, raw);
  if (problems.length) {
    for (const p of problems) console.error(`${p.pointer}: ${p.message}`);
    return 1;
  }
  const keys = segmentKeys(plan, resolveInputs(plan, value), Buffer.from('kasane-cli'));
  await renderPersonalSegments(plan, value, keys, storage, drawContext(plan, storage, cfg.imageFetch), {
    onSegment: (d) => log.info({ segment: d.index, reused: d.reused, ms: Math.round(d.ms) }, `segment ${d.index}: ${d.reused ? 'reused' : `rendered in ${d.ms.toFixed(0)} ms`}`),
  });
  const t2 = performance.now();
  const out = path.resolve(values.out);
  await mkdir(out, { recursive: true });
  for (const s of plan.segments) {
    await storage.download(s.kind === 'dynamic' ? keys[s.index]! : s.key, path.join(out, `${s.index}.ts`));
  }
  await writeFile(path.join(out, 'index.m3u8'), mediaPlaylist(plan));
  log.info({ prepareMs: Math.round(t1 - t0), renderMs: Math.round(t2 - t1), playlist: path.join(out, 'index.m3u8') }, 'rendered');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    if (e instanceof ManifestError) {
      console.error('template problems:');
      for (const p of e.problems) console.error(`  ${p.pointer || '/'}: ${p.message}`);
    } else if (e instanceof ConfigError) console.error(`configuration: ${e.message}`);
    else console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
