// The operator console (/console): static files only, scope public. Every piece of
// data it shows comes from the /v1 API with the operator's own key.
import type { FastifyInstance } from 'fastify';
import { consoleAssets, consolePage, fontFile, URL_PREFIX } from '../../console/assets.ts';
import { ApiError } from '../errors.ts';
import { params } from '../schemas.ts';

const PUBLIC = { config: { scope: 'public' as const } };
const FILE = { ...PUBLIC, schema: { params: params({ file: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$', errorMessage: 'must be a console file name' } }) } };
/** The page itself is small and names the hashed files: always revalidated. The hashed files never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const SECURITY = {
  // Only our own origin: the console makes no third-party request, and nothing may frame it.
  'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export function consoleRoutes(app: FastifyInstance) {
  app.get(URL_PREFIX, PUBLIC, (_req, reply) => reply.redirect(`${URL_PREFIX}/`, 301));
  app.get(`${URL_PREFIX}/`, PUBLIC, async (_req, reply) => {
    const a = await consoleAssets();
    return reply.headers({ ...SECURITY, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).send(consolePage(a));
  });
  app.get<{ Params: { file: string } }>(`${URL_PREFIX}/:file`, FILE, async (req, reply) => {
    const f = (await consoleAssets()).files.get(`${URL_PREFIX}/${req.params.file}`);
    if (!f) throw new ApiError(404, 'not_found', 'no such console file');
    return reply.headers({ 'content-type': f.type, 'cache-control': IMMUTABLE, 'x-content-type-options': 'nosniff' }).send(f.body);
  });
  app.get<{ Params: { file: string } }>(`${URL_PREFIX}/fonts/:file`, FILE, async (req, reply) => {
    const f = await fontFile(req.params.file);
    if (!f) throw new ApiError(404, 'not_found', 'no such font file');
    return reply.headers({ 'content-type': 'font/woff2', 'cache-control': IMMUTABLE }).send(f);
  });
}
