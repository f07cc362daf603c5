// Templates for CRM operators: list, upload a package (zip), versions,
// activate / roll back, and still previews with example or worst-case data.
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { exampleData, validateData, worstData } from '../../templates/fields.ts';
import type { TemplatePlan } from '../../templates/plan.ts';
import { packageFiles } from '../../templates/prepare.ts';
import { checkPackageIsolated } from '../../templates/upload/check-isolated.ts';
import { RegistryError } from '../../templates/registry.ts';
import { previewStills, contactSheet } from '../../render/preview.ts';
import { drawContext } from '../../render/personalize.ts';

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
    segments: { total: p.segments.length, personalized: p.segments.filter((s) => s.kind === 'dynamic').length },
  };
}

type Auth = (req: FastifyRequest) => Promise<void>;
const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function templateRoutes(app: FastifyInstance, ctx: ApiContext, auth: Auth) {
  const registryError = (e: unknown): never => {
    if (e instanceof RegistryError) throw new ApiError(e.code === 'not_found' ? 404 : 409, e.code, e.message);
    throw e;
  };

  app.get('/v1/templates', { onRequest: auth }, async () => ({ templates: (await ctx.registry.list()).map(summary) }));

  app.get<{ Params: { id: string } }>('/v1/templates/:id', { onRequest: auth }, async (req) => {
    const p = await ctx.registry.activePlan(req.params.id);
    if (!p) throw new ApiError(404, 'template_not_found', `no template "${req.params.id.slice(0, 100)}"`);
    return summary(p);
  });

  app.get<{ Params: { id: string } }>('/v1/templates/:id/versions', { onRequest: auth }, async (req) => {
    const versions = await ctx.registry.versions(req.params.id);
    if (!versions.length) throw new ApiError(404, 'template_not_found', `no template "${req.params.id.slice(0, 100)}"`);
    return { template: req.params.id, versions };
  });

  app.get<{ Params: { id: string; version: string } }>('/v1/templates/:id/versions/:version', { onRequest: auth }, async (req) => {
    const info = await ctx.registry.versionInfo(req.params.id, req.params.version);
    if (!info) throw new ApiError(404, 'version_not_found', `template "${req.params.id.slice(0, 100)}" has no version "${req.params.version.slice(0, 40)}"`);
    const plan = info.state === 'ready' ? await ctx.registry.plan(req.params.id, req.params.version) : null;
    return { template: req.params.id, ...info, ...(plan ? { summary: summary(plan) } : {}) };
  });

  app.post<{ Params: { id: string }; Body: { version?: unknown } }>('/v1/templates/:id/activate', { onRequest: auth }, async (req) => {
    const v = req.body?.version;
    if (typeof v !== 'string') throw new ApiError(422, 'invalid_request', '1 problem(s) in the request', [{ pointer: '/version', message: 'must be a version id from GET /v1/templates/:id/versions' }]);
    const plan = await ctx.registry.activateVersion(req.params.id, v).catch(registryError);
    return { template: plan.templateId, active_version: plan.version };
  });

  app.post<{ Params: { id: string } }>('/v1/templates/:id/rollback', { onRequest: auth }, async (req) => {
    const plan = await ctx.registry.rollback(req.params.id).catch(registryError);
    return { template: plan.templateId, active_version: plan.version };
  });

  // Upload: validate everything at once, store the package, prepare in the background.
  app.post<{ Querystring: { activate?: string; wait?: string } }>('/v1/templates', { onRequest: auth }, async (req, reply) => {
    if (!req.isMultipart()) throw new ApiError(415, 'unsupported_media_type', 'send the template package as multipart/form-data with a zip file in the field "package"');
    const file = await req.file({ limits: { fileSize: ctx.config.packageMaxBytes, files: 1 } });
    if (!file) throw new ApiError(422, 'invalid_request', 'no file in the upload', [{ pointer: 'form:package', message: 'attach the template zip as "package"' }]);
    const work = await mkdtemp(path.join(os.tmpdir(), 'kasane-upload-'));
    try {
      // Streamed to disk: a large package never sits in the API's memory.
      const zip = path.join(work, 'upload.zip');
      try {
        await pipeline(file.file, createWriteStream(zip));
      } catch {
        throw new ApiError(413, 'package_too_large', `the package is larger than ${ctx.config.packageMaxBytes} bytes`);
      }
      if (file.file.truncated) throw new ApiError(413, 'package_too_large', `the package is larger than ${ctx.config.packageMaxBytes} bytes`);
      const pkg = path.join(work, 'package');
      await mkdir(pkg);
      const check = await checkPackageIsolated(zip, pkg);
      if (!check.ok) throw new ApiError(422, check.code, check.message, check.problems);
      const { manifest: m, version, notes } = check;
      // Shared storage, so a worker on any machine can prepare it.
      const prefix = `uploads/${m.id}/${version}`;
      for (const rel of await packageFiles(pkg)) await ctx.storage.putFile(`${prefix}/${rel}`, path.join(pkg, rel));
      await ctx.registry.addVersion(m.id, version, 'upload');
      const activate = req.query.activate !== 'false';
      await ctx.prepareQueue.add('prepare', { dir: await ctx.storage.localPath(prefix), activate, source: 'upload', templateId: m.id, version }, { jobId: `prepare-${m.id}-${version}` });
      let info = await ctx.registry.versionInfo(m.id, version);
      if (req.query.wait === 'true' || req.query.wait === '1') {
        const end = Date.now() + 10 * 60_000;
        while (info?.state === 'preparing' && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 200));
          info = await ctx.registry.versionInfo(m.id, version);
        }
        if (info?.state === 'failed') throw new ApiError(422, 'invalid_template', info.error ?? 'preparation failed', info.problems);
      }
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
  });

  app.post<{ Params: { id: string }; Body: { data?: unknown; example?: boolean; worst?: boolean; version?: string; format?: string } }>(
    '/v1/templates/:id/preview',
    { onRequest: auth },
    async (req, reply) => {
      if (!ID.test(req.params.id)) throw new ApiError(404, 'template_not_found', 'no such template');
      const b = req.body ?? {};
      const plan = b.version ? await ctx.registry.plan(req.params.id, b.version) : await ctx.registry.activePlan(req.params.id);
      if (!plan) throw new ApiError(404, 'template_not_found', `no prepared template "${req.params.id}"${b.version ? ` version ${b.version}` : ''}`);
      let data: Record<string, unknown>;
      if (b.worst) data = worstData(plan.manifest.fields);
      else if (b.data === undefined || b.example) data = exampleData(plan.manifest.fields);
      else {
        const { value, problems } = validateData(plan.manifest.fields, b.data);
        if (problems.length) throw new ApiError(422, 'invalid_data', `${problems.length} field(s) do not match template "${plan.templateId}"`, problems);
        data = value;
      }
      const t0 = performance.now();
      const stills = await previewStills(plan, data, ctx.storage, drawContext(plan, ctx.storage, ctx.config.imageFetch));
      const sheet = await contactSheet(plan, stills);
      if (b.format === 'png') return reply.header('content-type', 'image/png').send(sheet);
      return {
        template: plan.templateId,
        version: plan.version,
        ms: Math.round(performance.now() - t0),
        stills: stills.map((s) => ({ layer: s.layer, type: s.type, time: s.time, warnings: s.warnings, fit: s.fit ?? null, png_base64: s.png.toString('base64') })),
        contact_sheet_png_base64: sheet.toString('base64'),
      };
    },
  );
}
