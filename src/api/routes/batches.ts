// /v1/batches: a campaign CSV (as exported from Excel or an MA tool) in, a CSV of
// links out. The upload is streamed to a temp file and checked whole before
// anything is accepted (the mapping against the header, the CSV's syntax), so
// a wrong column or a broken quote is a 422 naming it; rows then run on a worker.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import iconv from 'iconv-lite';
import { Ajv } from 'ajv';
import ajvErrorsModule from 'ajv-errors';
import type { Plugin } from 'ajv';
import type { ApiContext } from '../context.ts';
import { ApiError, schemaProblems, type Problem } from '../errors.ts';
import { params, TEMPLATE_ID } from '../schemas.ts';
import { SOURCE } from './connectors.ts';
import { cardFields } from '../../intake/catalog.ts';
import type { SourceSpec } from '../../intake/mapping.ts';
import type { ConnectorStore } from '../../intake/connectors/store.ts';
import { csvRecords, detectEncoding, ENCODINGS, syntaxError, type CsvEncoding } from '../../intake/batches/csv-source.ts';
import { columnPointer, columnsToPointers, missingColumns, type BatchSpec } from '../../intake/batches/spec.ts';
import { BATCH_ID, inputKey, newBatchId, resultKey, type BatchStore } from '../../intake/batches/store.ts';
import { enqueueBatch } from '../../intake/batches/queue.ts';

const ajvErrors = ajvErrorsModule as unknown as Plugin<unknown>;

const ENCODING = { type: 'string', enum: Object.keys(ENCODINGS), errorMessage: 'must be "utf-8" or "shift_jis" (cp932); leave it out to detect' } as const;

/** The `mapping` part: the batch's own template + mapping, or a connector's. */
function specSchema(maxExpires: number) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      connector: { type: 'string', pattern: '^c_[A-Za-z0-9]{16}$', errorMessage: 'must be a connector id like "c_…"' },
      template: TEMPLATE_ID,
      mode: { type: 'string', enum: ['lazy', 'eager'], errorMessage: 'must be "lazy" or "eager"' },
      mapping: { type: 'object', maxProperties: 100, additionalProperties: SOURCE },
      contact: { type: 'string', minLength: 1, maxLength: 300, errorMessage: 'must be the name of the CSV column holding the contact id' },
      campaign: SOURCE,
      expires_in: { type: 'integer', minimum: 60, maximum: maxExpires, errorMessage: `must be an integer number of seconds from 60 to ${maxExpires}` },
      encoding: ENCODING,
    },
  } as const;
}

interface SpecBody {
  connector?: string;
  template?: string;
  mode?: 'lazy' | 'eager';
  mapping?: Record<string, SourceSpec>;
  contact?: string;
  campaign?: SourceSpec;
  expires_in?: number;
  encoding?: string;
}

interface Upload {
  file?: string;
  spec?: unknown;
  encoding?: string;
}

const FORM = 'form:mapping';

export function batchRoutes(app: FastifyInstance, ctx: ApiContext, batches: BatchStore, connectors: ConnectorStore) {
  // Campaign sends: MA tools and operators alike.
  const ajv = new Ajv({ allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: false, strict: false });
  ajvErrors(ajv as never, undefined);
  const validateSpec = ajv.compile(specSchema(ctx.config.maxExpiresIn));
  const idParams = { params: params({ id: { type: 'string', pattern: BATCH_ID.source, errorMessage: 'must be a batch id like "b_…" as returned by POST /v1/batches' } }) };
  const found = async (id: string) => {
    const b = await batches.get(id);
    if (!b) throw new ApiError(404, 'batch_not_found', 'no such batch (they are kept 7 days)');
    return b;
  };
  const show = (b: NonNullable<Awaited<ReturnType<BatchStore['get']>>>) => ({
    ...b,
    status_url: `${ctx.config.publicUrl}/v1/batches/${b.id}`,
    result_url: `${ctx.config.publicUrl}/v1/batches/${b.id}/result.csv`,
  });

  app.post('/v1/batches', { config: { scope: ['render', 'template'] } }, async (req, reply) => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'kasane-batch-'));
    try {
      const up = await readUpload(ctx, req, path.join(work, 'input.csv'));
      if (!up.file) throw new ApiError(422, 'invalid_request', 'no CSV file in the upload', [{ pointer: 'form:file', message: 'attach the CSV as a file part named "file"' }]);
      if (up.spec === undefined) throw new ApiError(422, 'invalid_request', 'no mapping in the upload', [{ pointer: FORM, message: 'add a "mapping" part: JSON with template, mapping and contact, or a connector id' }]);
      if (!validateSpec(up.spec)) throw new ApiError(422, 'invalid_mapping', 'the mapping part is not valid', schemaProblems(validateSpec.errors as never, undefined).map((p) => ({ ...p, pointer: FORM + p.pointer })));
      const body = up.spec as SpecBody;
      const encName = up.encoding ?? body.encoding;
      if (encName !== undefined && !ENCODINGS[encName.toLowerCase()]) throw new ApiError(422, 'invalid_request', 'unknown encoding', [{ pointer: 'form:encoding', message: ENCODING.errorMessage }]);
      const encoding: CsvEncoding = encName ? ENCODINGS[encName.toLowerCase()]! : await detectEncoding(up.file);
      const spec = await batchSpec(ctx, connectors, body, encoding);
      const rows = await checkCsv(up.file, spec);
      const id = newBatchId();
      await ctx.storage.putFile(inputKey(id), up.file);
      await batches.create(id, spec, rows);
      await enqueueBatch(ctx.batchQueue, id);
      return reply.code(202).header('location', `/v1/batches/${id}`).send(show((await batches.get(id))!));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  app.get<{ Params: { id: string } }>('/v1/batches/:id', { config: { scope: ['render', 'template'] }, schema: idParams }, async (req) => show(await found(req.params.id)));

  app.get<{ Params: { id: string } }>('/v1/batches/:id/result.csv', { config: { scope: ['render', 'template'] }, schema: idParams }, async (req, reply) => {
    const b = await found(req.params.id);
    // Complete or nothing: a tool importing a half-written file would silently miss the rest.
    if (b.state !== 'done') throw new ApiError(409, 'batch_not_done', `the batch is ${b.state}${b.error ? ` (${b.error})` : ''}; the result is ready when GET /v1/batches/${b.id} says "done"`, undefined, { 'x-batch-state': b.state });
    return sendResult(ctx, reply, b.id, b.encoding as CsvEncoding);
  });
}

/** The multipart parts: the one file (streamed to `dest`), the mapping JSON, an optional encoding. */
async function readUpload(ctx: ApiContext, req: FastifyRequest, dest: string): Promise<Upload> {
  if (!req.isMultipart()) throw new ApiError(415, 'unsupported_media_type', 'send multipart/form-data with the CSV in "file" and the mapping JSON in "mapping"');
  const up: Upload = {};
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        await pipeline(part.file, createWriteStream(dest));
        if (part.file.truncated) throw new ApiError(413, 'csv_too_large', `the CSV is larger than ${ctx.config.packageMaxBytes} bytes`);
        up.file = dest;
      } else if (part.fieldname === 'mapping') {
        try {
          up.spec = JSON.parse(String(part.value));
        } catch {
          throw new ApiError(400, 'malformed_json', 'the mapping part is not valid JSON', [{ pointer: FORM, message: 'must be a JSON object' }]);
        }
      } else if (part.fieldname === 'encoding') up.encoding = String(part.value);
    }
  } catch (e) {
    if (e instanceof ApiError || (e as { code?: string }).code?.startsWith('FST_')) throw e;
    throw new ApiError(400, 'malformed_multipart', 'the multipart body cannot be read (check the Content-Type boundary)');
  }
  return up;
}

/** The batch's template, mapping (columns as pointers) and contact, from its own mapping or a connector. */
async function batchSpec(ctx: ApiContext, connectors: ConnectorStore, b: SpecBody, encoding: CsvEncoding): Promise<BatchSpec> {
  const problems: Problem[] = [];
  if (b.connector) {
    for (const k of ['template', 'mapping', 'contact', 'campaign'] as const) if (b[k] !== undefined) problems.push({ pointer: `${FORM}/${k}`, message: 'comes from the connector; leave it out or leave out "connector"' });
    if (problems.length) throw new ApiError(422, 'invalid_mapping', 'a batch uses a connector or its own mapping, not both', problems);
    const c = await connectors.get(b.connector);
    if (!c) throw new ApiError(404, 'connector_not_found', 'no such connector; GET /v1/connectors lists them');
    return { template: c.template, mode: b.mode ?? c.mode, mapping: c.mapping, contact: c.contact, campaign: c.campaign, expires_in: b.expires_in ?? c.expires_in, connector: c.id, encoding };
  }
  if (!b.template) problems.push({ pointer: `${FORM}/template`, message: 'is required (or give a "connector")' });
  if (!b.contact) problems.push({ pointer: `${FORM}/contact`, message: 'is required: the CSV column with the contact id (it makes re-runs answer the same renders)' });
  const plan = b.template ? await ctx.registry.activePlan(b.template) : null;
  if (b.template && !plan) problems.push({ pointer: `${FORM}/template`, message: 'no such template (or no version of it is active yet)' });
  for (const [field, s] of Object.entries(b.mapping ?? {})) {
    const f = plan?.manifest.fields[field];
    if (plan && !f) problems.push({ pointer: `${FORM}/mapping/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `is not a field of template "${b.template}"` });
    else if (f && typeof s === 'object' && 'skus' in s && !(f.type === 'array' && cardFields({ [field]: f }))) problems.push({ pointer: `${FORM}/mapping/${field}`, message: 'skus map only to an array field of item cards' });
  }
  if (problems.length) throw new ApiError(422, 'invalid_mapping', `${problems.length} problem(s) in the mapping`, problems);
  return {
    template: b.template!,
    mode: b.mode ?? 'lazy',
    mapping: Object.fromEntries(Object.entries(b.mapping ?? {}).map(([k, s]) => [k, columnsToPointers(s)])),
    contact: columnPointer(b.contact!),
    ...(b.campaign !== undefined ? { campaign: columnsToPointers(b.campaign) } : {}),
    ...(b.expires_in !== undefined ? { expires_in: b.expires_in } : {}),
    encoding,
  };
}

/** One streamed pass before anything is accepted: the header has the mapped columns, every row parses. Returns the data row count. */
async function checkCsv(file: string, spec: BatchSpec): Promise<number> {
  if ((await stat(file)).size === 0) throw new ApiError(422, 'invalid_csv', 'the CSV is empty', [{ pointer: 'form:file', message: 'must have a header row and data rows' }]);
  let header: string[] | undefined;
  let rows = 0;
  try {
    for await (const rec of csvRecords(file, spec.encoding) as AsyncIterable<string[]>) {
      if (header) rows++;
      else {
        header = rec;
        const problems = missingColumns(spec, header, spec.connector ? `connector:${spec.connector}` : FORM);
        if (problems.length) throw new ApiError(422, 'invalid_mapping', `${problems.length} mapped column(s) are not in the CSV header`, problems);
      }
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const err = syntaxError(e);
    throw new ApiError(422, 'invalid_csv', `the CSV cannot be read: ${err.message}`, [{ pointer: `csv:row ${err.row}`, message: err.message }]);
  }
  if (!header) throw new ApiError(422, 'invalid_csv', 'the CSV is empty', [{ pointer: 'form:file', message: 'must have a header row and data rows' }]);
  return rows;
}

/** The result in the input's encoding: CP932 stays CP932; UTF-8 gets a BOM so Excel reads it as UTF-8. Streamed. */
async function sendResult(ctx: ApiContext, reply: FastifyReply, id: string, encoding: CsvEncoding) {
  const obj = await ctx.storage.open(resultKey(id));
  if (!obj) throw new ApiError(404, 'batch_not_found', `the result of batch ${id} is no longer stored`);
  const text = obj.stream().pipe(iconv.decodeStream('utf8'));
  const body = encoding === 'cp932' ? text.pipe(iconv.encodeStream('cp932')) : text.pipe(iconv.encodeStream('utf8', { addBOM: true }));
  return reply
    .header('content-type', `text/csv; charset=${encoding === 'cp932' ? 'shift_jis' : 'utf-8'}`)
    .header('content-disposition', `attachment; filename="${id}-result.csv"`)
    .header('x-batch-state', 'done')
    .send(body);
}
