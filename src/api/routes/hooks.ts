// /hooks/:connectorId[/<sub>]: where MA tools call in, with no Kasane key (the
// connector's kind authenticates them). The body is kept as raw bytes, whatever
// its content type, because signatures are computed over exactly those bytes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.ts';
import { handleHook, type HookDeps } from '../../intake/connectors/hook.ts';
import type { HookRequest } from '../../intake/connectors/types.ts';

const PARAMS = {
  type: 'object',
  properties: { connectorId: { type: 'string', maxLength: 40, errorMessage: 'must be a connector id' } },
} as const;

export function hookRoutes(app: FastifyInstance, ctx: ApiContext, deps: HookDeps) {
  void app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.config.hookBodyLimit }, (_req, body, done) => done(null, body));
    const handler = async (req: FastifyRequest<{ Params: { connectorId: string; '*'?: string } }>, reply: import('fastify').FastifyReply) => {
      const hookReq: HookRequest = {
        method: req.method,
        sub: req.params['*'] ?? '',
        url: req.url,
        publicUrl: ctx.config.publicUrl,
        headers: req.headers,
        query: (req.query ?? {}) as HookRequest['query'],
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        receivedAt: Date.now(),
      };
      const out = await handleHook(deps, req.params.connectorId, hookReq);
      if (out.headers) reply.headers(out.headers);
      return reply.code(out.status).send(out.body);
    };
    for (const url of ['/hooks/:connectorId', '/hooks/:connectorId/*']) {
      hooks.route({ method: ['GET', 'POST'], url, config: { scope: 'public' }, schema: { params: PARAMS }, handler });
    }
  });
}
