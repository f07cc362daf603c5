// Templates for CRM operators: list, upload a package (zip), versions,
// activate / roll back, and still previews with example or worst-case data.
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { exampleData, validateData, worstData } from '../../templates/fields.ts';
import type { TemplatePlan } from '../../templates/plan.ts';
import { packageFiles } from '../../templates/prepare.ts';
import { checkPackageIsolated } from '../../templates/upload/check-isolated.ts';
import { RegistryError } from '../../templates/registry.ts';
import { BOOL_QUERY, params, TEMPLATE_ID, VERSION_ID } from '../schemas.ts';

function summary(p: TemplatePlan) {
  return {
    id: p.templateId,
    name: p.manifest.name,
    description: p.manifest.description ?? null,
    version: p.version,
    prepared_at: p.preparedAt,
    width: p.width,
    height: p.height,
    fps: p.fps.num / p.fps.den,
    duration: p.duration,
    fields: p.manifest.fields,
    example: exampleData(p.manifest.fields),
    layers: p.manifest.layers.map((l) => ({ id: l.id, type: l.type, start: l.start, end: l.end })),
    segments: {
      total: p.segments.length,
      personalized: p.segments.filter((s) => s.kind === 'dynamic').length,
      // Seconds of video that are made per person (whole segments around each overlay).
      personalized_seconds: Number(p.segments.filter((s) => s.kind === 'dynamic').reduce((a, s) => a + s.duration, 0).toFixed(3)),
    },
  };
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type UploadRequest = FastifyRequest<{ Querystring: { activate?: string; wait?: string } }>;
type PreviewBody = { data?: unknown; example?: boolean; worst?: boolean; version?: string; format?: string };
const ID_PARAMS = { params: params({ id: TEMPLATE_ID }) };
const VERSION_BODY = {
  type: 'object',
  required: ['version'],
  additionalProperties: false,
  properties: { version: VERSION_ID },
} as const;
const PREVIEW_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    data: { errorMessage: 'must be an object with the template fields' },
    example: { type: 'boolean' },
    worst: { type: 'boolean' },
    version: VERSION_ID,
    format: { type: 'string', enum: ['json', 'png'], errorMessage: 'must be "json" or "png"' },
  },
} as const;
const UPLOAD_QUERY = { type: 'object', properties: { activate: BOOL_QUERY, wait: BOOL_QUERY } } as const;
/** How long `?wait=true` holds an upload's answer for its preparation. */
const WAIT_MS = 10 * 60_000;
const yes = (v: string | undefined) => v === 'true' || v === '1';

export function templateRoutes(app: FastifyInstance, ctx: ApiContext) {
  // MA tools may read templates (to map their fields); changing them is operators' work.
  app.get('/v1/templates', { config: { scope: ['render', 'template'] } }, () => listTemplates(ctx));
  app.get<{ Params: { id: string } }>('/v1/templates/:id', { config: { scope: ['render', 'template'] }, schema: ID_PARAMS }, (req) => getTemplate(ctx, req));
  app.get<{ Params: { id: string } }>('/v1/templates/:id/versions', { config: { scope: 'template' }, schema: ID_PARAMS }, (req) => listVersions(ctx, req));
  app.get<{ Params: { id: string; version: string } }>(
    '/v1/templates/:id/versions/:version',
    { config: { scope: 'template' }, schema: { params: params({ id: TEMPLATE_ID, version: VERSION_ID }) } },
    (req) => getVersion(ctx, req),
  );
  app.post<{ Params: { id: string }; Body: { version: string } }>('/v1/templates/:id/activate', { config: { scope: 'template' }, schema: { ...ID_PARAMS, body: VERSION_BODY } }, (req) => activate(ctx, req));
  app.post<{ Params: { id: string } }>('/v1/templates/:id/rollback', { config: { scope: 'template' }, schema: ID_PARAMS }, (req) => rollback(ctx, req));
  app.post<{ Querystring: { activate?: string; wait?: string } }>('/v1/templates', { config: { scope: 'template' }, schema: { querystring: UPLOAD_QUERY } }, (req, reply) => upload(ctx, req, reply));
  app.post<{ Params: { id: string }; Body: PreviewBody }>('/v1/templates/:id/preview', { config: { scope: 'template' }, schema: { ...ID_PARAMS, body: PREVIEW_BODY } }, (req, reply) => preview(ctx, req, reply));
}

function registryError(e: unknown): never {
  if (e instanceof RegistryError) throw new ApiError(e.code === 'not_found' ? 404 : 409, e.code, e.message);
  throw e;
}

async function listTemplates(ctx: ApiContext) {
  return { templates: (await ctx.registry.list()).map(summary) };
}

async function getTemplate(ctx: ApiContext, req: IdRequest) {
  const p = await ctx.registry.activePlan(req.params.id);
  if (!p) throw new ApiError(404, 'template_not_found', `no template "${req.params.id}"`);
  return summary(p);
}

async function listVersions(ctx: ApiContext, req: IdRequest) {
  const versions = await ctx.registry.versions(req.params.id);
  if (!versions.length) throw new ApiError(404, 'template_not_found', `no template "${req.params.id}"`);
  return { template: req.params.id, versions };
}

async function getVersion(ctx: ApiContext, req: FastifyRequest<{ Params: { id: string; version: string } }>) {
  const info = await ctx.registry.versionInfo(req.params.id, req.params.version);
  if (!info) throw new ApiError(404, 'version_not_found', `template "${req.params.id}" has no version "${req.params.version}"`);
  const plan = info.state === 'ready' ? await ctx.registry.plan(req.params.id, req.params.version) : null;
  return { template: req.params.id, ...info, ...(plan ? { summary: summary(plan) } : {}), ...(info.state === 'preparing' ? { prepare: await prepareProgress(ctx, req.params.id, req.params.version) } : {}) };
}

/** Where a version's preparation is: its job's state (waiting, active…) and the step it last reported. */
async function prepareProgress(ctx: ApiContext, id: string, version: string) {
  const job = await ctx.prepareQueue.getJob(`prepare-${id}-${version}`);
  if (!job) return null;
  const p = job.progress as { step?: unknown } | number | undefined;
  return { state: await job.getState(), step: typeof p === 'object' && typeof p.step === 'string' ? p.step : null };
}

async function activate(ctx: ApiContext, req: FastifyRequest<{ Params: { id: string }; Body: { version: string } }>) {
  const plan = await ctx.registry.activateVersion(req.params.id, req.body.version).catch(registryError);
  return { template: plan.templateId, active_version: plan.version };
}

async function rollback(ctx: ApiContext, req: IdRequest) {
  const plan = await ctx.registry.rollback(req.params.id).catch(registryError);
  return { template: plan.templateId, active_version: plan.version };
}

/** Upload: validate everything at once, store the package, prepare in the background. */
async function upload(ctx: ApiContext, req: UploadRequest, reply: FastifyReply) {
  const file = await uploadedFile(ctx, req);
  const work = await mkdtemp(path.join(os.tmpdir(), 'kasane-upload-'));
  try {
    const zip = path.join(work, 'upload.zip');
    await saveUpload(ctx, file, zip);
    const pkg = path.join(work, 'package');
    await mkdir(pkg);
    const check = await checkPackageIsolated(zip, pkg);
    if (!check.ok) throw new ApiError(422, check.code, check.message, check.problems);
    const { manifest: m, version, notes } = check;
    const activate = req.query.activate !== 'false' && req.query.activate !== '0';
    const job = await storeAndQueue(ctx, pkg, m.id, version, activate, req.apiKey);
    if (yes(req.query.wait)) {
      // BullMQ tells us when the job ends (it also answers at once for a job that already ended).
      // A failure is recorded on the version by the worker, read below.
      await job.waitUntilFinished(ctx.prepareEvents, WAIT_MS).catch(() => {});
    }
    const info = await ctx.registry.versionInfo(m.id, version);
    if (yes(req.query.wait) && info?.state === 'failed') throw new ApiError(422, 'invalid_template', info.error ?? 'preparation failed', info.problems);
    return reply.code(info?.state === 'ready' ? 201 : 202).send({
      template: m.id,
      version,
      state: info?.state ?? 'preparing',
      activate,
      status_url: `${ctx.config.publicUrl}/v1/templates/${m.id}/versions/${version}`,
      notes,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The one zip file of a multipart upload, or a 4xx saying what is wrong with the request. */
async function uploadedFile(ctx: ApiContext, req: UploadRequest): Promise<MultipartFile> {
  if (!req.isMultipart()) throw new ApiError(415, 'unsupported_media_type', 'send the template package as multipart/form-data with a zip file in the field "package"');
  const file = await req.file({ limits: { fileSize: ctx.config.packageMaxBytes, files: 1 } }).catch((e: Error & { code?: string }) => {
    // Our error handler maps @fastify/multipart's own errors; busboy's (no boundary, a broken header) are plain Errors.
    if (e.code?.startsWith('FST_')) throw e;
    throw new ApiError(400, 'malformed_multipart', 'the multipart body cannot be read (check the Content-Type boundary)', [{ pointer: 'form:package', message: 'attach the template zip as "package"' }]);
  });
  if (!file) throw new ApiError(422, 'invalid_request', 'no file in the upload', [{ pointer: 'form:package', message: 'attach the template zip as "package"' }]);
  return file;
}

/** Streamed to disk: a large package never sits in the API's memory. */
async function saveUpload(ctx: ApiContext, file: MultipartFile, zip: string): Promise<void> {
  try {
    await pipeline(file.file, createWriteStream(zip));
  } catch {
    throw new ApiError(413, 'package_too_large', `the package is larger than ${ctx.config.packageMaxBytes} bytes`);
  }
  if (file.file.truncated) throw new ApiError(413, 'package_too_large', `the package is larger than ${ctx.config.packageMaxBytes} bytes`);
}

/** Copies a checked package to shared storage (so a worker on any machine can prepare it) and queues its preparation. */
async function storeAndQueue(ctx: ApiContext, pkg: string, templateId: string, version: string, activate: boolean, uploadedBy: { id: string; name: string } | null) {
  const prefix = `uploads/${templateId}/${version}`;
  for (const rel of await packageFiles(pkg)) await ctx.storage.putFile(`${prefix}/${rel}`, path.join(pkg, rel));
  await ctx.registry.addVersion(templateId, version, 'upload', uploadedBy ?? undefined);
  return ctx.prepareQueue.add('prepare', { package: prefix, activate, source: 'upload', templateId, version }, { jobId: `prepare-${templateId}-${version}` });
}

async function preview(ctx: ApiContext, req: FastifyRequest<{ Params: { id: string }; Body: PreviewBody }>, reply: FastifyReply) {
  const b = req.body ?? {};
  const plan = b.version ? await ctx.registry.plan(req.params.id, b.version) : await ctx.registry.activePlan(req.params.id);
  if (!plan) throw new ApiError(404, 'template_not_found', `no prepared template "${req.params.id}"${b.version ? ` version ${b.version}` : ''}`);
  const data = previewData(plan, b);
  const t0 = performance.now();
  // Drawn on a worker thread: this event loop keeps serving accepts and viewers meanwhile.
  const { stills, sheet } = await ctx.previews.draw(plan, data);
  if (b.format === 'png') return reply.header('content-type', 'image/png').send(sheet);
  return {
    template: plan.templateId,
    version: plan.version,
    ms: Math.round(performance.now() - t0),
    stills: stills.map((s) => ({ layer: s.layer, type: s.type, time: s.time, warnings: s.warnings, fit: s.fit ?? null, png_base64: s.png.toString('base64') })),
    contact_sheet_png_base64: sheet.toString('base64'),
  };
}

/** Worst-case or example data when asked for (or when none is sent), else the caller's data, checked. */
function previewData(plan: TemplatePlan, b: PreviewBody): Record<string, unknown> {
  if (b.worst) return worstData(plan.manifest.fields);
  if (b.data === undefined || b.example) return exampleData(plan.manifest.fields);
  const { value, problems } = validateData(plan.manifest.fields, b.data);
  if (problems.length) throw new ApiError(422, 'invalid_data', `${problems.length} field(s) do not match template "${plan.templateId}"`, problems);
  return value;
}
