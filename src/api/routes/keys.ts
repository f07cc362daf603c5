// API keys (admin): create one (its secret is in that answer and nowhere else,
// ever), list and read them (a hint of the last characters only), revoke. Any
// valid key can ask who it is: the operator console signs in with that.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { params } from '../schemas.ts';
import { API_SCOPES, type ApiScope } from '../../access/scopes.ts';
import { KEY_ID, type ApiKeyStore } from '../../access/keys.ts';

const ID_PARAMS = {
  params: params({ id: { type: 'string', pattern: KEY_ID.source, errorMessage: 'must be a key id like "key_0123456789abcdef" or "env-1" (GET /v1/keys lists them)' } }),
};
const CREATE_BODY = {
  type: 'object',
  required: ['name', 'scopes'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$', errorMessage: 'must be a name of 1-100 characters, without control characters' },
    scopes: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: API_SCOPES },
      errorMessage: `must be a list of one or more of ${API_SCOPES.join(', ')}, each once`,
    },
  },
} as const;

export function keyRoutes(app: FastifyInstance, keys: ApiKeyStore) {
  app.get('/v1/keys/self', { config: { scope: API_SCOPES } }, async (req) => {
    const k = req.apiKey!;
    return { id: k.id, name: k.name, scopes: k.scopes };
  });
  app.post<{ Body: { name: string; scopes: ApiScope[] } }>('/v1/keys', { config: { scope: 'admin' }, schema: { body: CREATE_BODY } }, async (req, reply) => {
    const { secret, key } = await keys.create(req.body.name, req.body.scopes, req.apiKey!.id);
    req.log.info({ key: key.id, scopes: key.scopes, by: key.created_by }, 'API key created');
    return reply.code(201).send({ ...key, secret });
  });
  app.get('/v1/keys', { config: { scope: 'admin' } }, async () => ({ keys: await keys.list() }));
  app.get<{ Params: { id: string } }>('/v1/keys/:id', { config: { scope: 'admin' }, schema: ID_PARAMS }, async (req) => {
    const k = await keys.get(req.params.id);
    if (!k) throw new ApiError(404, 'key_not_found', 'no such API key; GET /v1/keys lists them');
    return k;
  });
  app.delete<{ Params: { id: string } }>('/v1/keys/:id', { config: { scope: 'admin' }, schema: ID_PARAMS }, async (req, reply) => {
    const k = await keys.get(req.params.id);
    if (!k) throw new ApiError(404, 'key_not_found', 'no such API key; GET /v1/keys lists them');
    if (k.source === 'environment') throw new ApiError(409, 'environment_key', 'this key is set in KASANE_API_KEYS: remove it there and restart the API processes');
    await keys.revoke(k.id);
    req.log.info({ key: k.id, by: req.apiKey!.id }, 'API key revoked');
    return reply.code(204).send();
  });
}
