// Runs one batch: the stored CSV is read as a stream, rows go through the one
// accept function CHUNK at a time (their Redis writes overlap instead of
// waiting on each other), and each answered row is appended to the result in
// input order. A bad row gets status=error with its row, column and reason;
// it never holds back the rows around it.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { stringify } from 'csv-stringify';
import { ApiError } from '../../config/api-error.ts';
import type { Logger } from '../../config/logger.ts';
import type { TemplatePlan } from '../../templates/plan.ts';
import { acceptRender, renderUrls, type AcceptDeps } from '../accept.ts';
import type { CatalogLookup } from '../mapping.ts';
import { isMissing, mapPayload, resolveSpec } from '../mapping.ts';
import type { CatalogStore } from '../catalog.ts';
import type { ConnectorStore } from '../connectors/store.ts';
import { externalIdFor } from '../connectors/hook.ts';
import type { Connector } from '../connectors/types.ts';
import { csvRecords, syntaxError } from './csv-source.ts';
import { columnPointer, pointerColumn, sourceColumns, type BatchSpec } from './spec.ts';
import { inputKey, resultKey, type BatchStore } from './store.ts';

export interface BatchDeps extends AcceptDeps {
  batches: BatchStore;
  catalogs: CatalogStore;
  connectors: ConnectorStore;
  log: Logger;
}

/** Columns added after the input's own, in this order. */
export const RESULT_COLUMNS = ['watch_url', 'poster_url', 'status', 'render_id', 'error_row', 'error_column', 'error_reason'] as const;
/** Rows accepted at once: enough to keep Redis busy, few enough to keep memory flat. */
const CHUNK = 256;
const MAX_ID = 200;

interface RowResult {
  status: 'ok' | 'warning' | 'error';
  watch_url?: string;
  poster_url?: string;
  render_id?: string;
  column?: string;
  reason?: string;
}

/** What every row of the batch shares: the plan, the connector, the catalog, where each field reads from. */
interface RowContext {
  deps: BatchDeps;
  spec: BatchSpec;
  plan: TemplatePlan;
  connector: Connector | null;
  catalog: CatalogLookup;
  header: string[];
  /** Template field → the CSV column(s) it is read from (for error_column). */
  columns: Record<string, string>;
}

/** `last`: the job will not be retried, so a failure is final for the batch. */
export async function runBatch(deps: BatchDeps, id: string, last: boolean): Promise<{ rows: number }> {
  const spec = await deps.batches.spec(id);
  if (!spec) return { rows: 0 }; // expired before it ran
  await deps.batches.start(id);
  try {
    const rows = await processFile(deps, id, spec);
    await deps.batches.finish(id, 'done');
    deps.log.info({ batchId: id, rows }, 'batch done');
    return { rows };
  } catch (e) {
    const final = last || e instanceof ApiError;
    // Our own messages (syntax, template missing) name rows and columns, never cell contents.
    if (final) await deps.batches.finish(id, 'failed', e instanceof Error ? e.message.split('\n')[0]!.slice(0, 300) : 'batch failed');
    if (e instanceof ApiError) return { rows: 0 };
    throw e;
  }
}

async function processFile(deps: BatchDeps, id: string, spec: BatchSpec): Promise<number> {
  // The CSVs pass through a temporary folder: storage may be another machine's bucket.
  const work = await mkdtemp(path.join(os.tmpdir(), 'kasane-batch-'));
  try {
    return await processIn(work, deps, id, spec);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function processIn(work: string, deps: BatchDeps, id: string, spec: BatchSpec): Promise<number> {
  const plan = await deps.registry.activePlan(spec.template);
  if (!plan) throw new ApiError(404, 'template_not_found', `template "${spec.template}" has no active version any more`);
  const connector = spec.connector ? await deps.connectors.get(spec.connector) : null;
  if (spec.connector && !connector) throw new ApiError(404, 'connector_not_found', `connector ${spec.connector} was deleted`);
  const inPath = path.join(work, 'input.csv');
  if (!(await deps.storage.download(inputKey(id), inPath))) throw new ApiError(404, 'batch_not_found', `the CSV of batch ${id} is no longer stored`);
  const records = csvRecords(inPath, spec.encoding);
  const outPath = path.join(work, 'result.csv');
  // CRLF, as Excel writes and expects.
  const out = stringify({ record_delimiter: 'windows' });
  const file = out.pipe(createWriteStream(outPath));
  const fileDone = once(file, 'finish');
  let ctx: RowContext | undefined;
  let chunk: string[][] = [];
  let n = 0;
  const flush = async () => {
    const results = await Promise.all(chunk.map((cells, i) => answerRow(ctx!, n - chunk.length + i + 1, cells)));
    let done = 0, failed = 0, warned = 0;
    for (const [i, r] of results.entries()) {
      const cells = ctx!.header.map((_, k) => chunk[i]![k] ?? '');
      const row = n - chunk.length + i + 1;
      const err = r.status !== 'ok';
      if (!out.write([...cells, r.watch_url ?? '', r.poster_url ?? '', r.status, r.render_id ?? '', err ? row : '', err ? (r.column ?? '') : '', err ? (r.reason ?? '') : ''])) await once(out, 'drain');
      if (r.status === 'error') failed++;
      else done++;
      if (r.status === 'warning') warned++;
    }
    chunk = [];
    await deps.batches.count(id, done, failed, warned);
  };
  try {
    for await (const cells of records as AsyncIterable<string[]>) {
      if (!ctx) {
        ctx = rowContext(deps, spec, plan, connector, cells);
        out.write([...cells, ...RESULT_COLUMNS]);
        continue;
      }
      chunk.push(cells);
      n++;
      if (chunk.length >= CHUNK) await flush();
    }
  } catch (e) {
    if (ctx && chunk.length) await flush().catch(() => {});
    out.end();
    throw e instanceof ApiError ? e : new ApiError(422, 'invalid_csv', syntaxError(e).message);
  }
  if (ctx && chunk.length) await flush();
  out.end();
  await fileDone;
  await deps.storage.putFile(resultKey(id), outPath);
  return n;
}

function rowContext(deps: BatchDeps, spec: BatchSpec, plan: TemplatePlan, connector: Connector | null, header: string[]): RowContext {
  const columns: Record<string, string> = {};
  for (const name of Object.keys(plan.manifest.fields)) columns[name] = sourceColumns(spec.mapping[name] ?? columnPointer(name));
  return { deps, spec, plan, connector, catalog: deps.catalogs.lookup(spec.template), header, columns };
}

function idText(v: unknown): string | undefined {
  if (isMissing(v)) return undefined;
  return typeof v === 'string' || typeof v === 'number' ? String(v).normalize('NFKC').trim() : undefined;
}

/** One data row → its render, or the reason it has none. */
async function answerRow(ctx: RowContext, row: number, cells: string[]): Promise<RowResult> {
  const { spec } = ctx;
  if (cells.length > ctx.header.length && cells.slice(ctx.header.length).some((c) => c !== '')) {
    return { status: 'error', column: '', reason: `the row has ${cells.length} cells, the header ${ctx.header.length}` };
  }
  const obj: Record<string, string> = {};
  ctx.header.forEach((h, i) => (obj[h] = cells[i] ?? ''));
  const contact = idText(resolveSpec(obj, spec.contact));
  if (!contact || contact.length > MAX_ID) return { status: 'error', column: pointerColumn(spec.contact), reason: `the contact id is missing or longer than ${MAX_ID} characters` };
  const campaign = spec.campaign === undefined ? undefined : idText(resolveSpec(obj, spec.campaign));
  const mapped = await mapPayload(ctx.plan.manifest.fields, spec.mapping, obj, ctx.catalog);
  const externalId = ctx.connector ? externalIdFor(ctx.connector, { contact, campaign }) : externalIdFor({ id: 'csv' }, { contact, campaign });
  try {
    const accepted = await acceptRender(ctx.deps, { template: spec.template, data: mapped.data, mode: spec.mode, externalId, expiresIn: spec.expires_in, source: 'batch' });
    const urls = renderUrls(ctx.deps.config.publicUrl, accepted.meta);
    const base = { watch_url: urls.player_url, poster_url: urls.poster_url, render_id: accepted.meta.id };
    if (!mapped.warnings.length) return { status: 'ok', ...base };
    const field = mapped.warnings[0]!.split(':')[0]!;
    return { status: 'warning', ...base, column: ctx.columns[field] ?? '', reason: mapped.warnings.join('; ') };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 422) throw e;
    return { status: 'error', ...problemColumns(ctx, e) };
  }
}

/** 422 problems (pointers under /data/<field>) → the CSV columns they came from and why. */
function problemColumns(ctx: RowContext, e: ApiError): { column: string; reason: string } {
  const problems = e.problems ?? [{ pointer: '', message: e.message }];
  const cols = new Set<string>();
  const reasons = problems.map((p) => {
    const field = /^\/data\/([^/]+)/.exec(p.pointer)?.[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
    const col = field !== undefined ? ctx.columns[field] : undefined;
    if (col) cols.add(col);
    return col ? `${col}: ${p.message}` : p.message;
  });
  return { column: [...cols].join('; '), reason: reasons.join('; ') };
}

