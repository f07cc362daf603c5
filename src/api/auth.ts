// The one access check. Every route declares who may call it in its options,
// `config: { scope: 'render' | 'template' | 'admin' | 'public' | [...] }`; a route
// without one is refused when it is registered, so the service will not start
// with a route nobody thought about. One onRequest hook then checks the bearer
// key against that scope, before any body is read.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, RouteOptions } from 'fastify';
import { ApiError, errorBody } from './errors.ts';
import { allows, isRouteScope, neededScopes, type ApiKeyIdentity, type RouteScope } from '../access/scopes.ts';
import type { ApiKeyStore } from '../access/keys.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
    /**
     * Pages a browser opens itself (the queue dashboard): the key is also taken as the HTTP
     * Basic password, and a 401 carries a Basic challenge so the browser asks for it.
     */
    basicAuth?: boolean;
  }
  interface FastifyRequest {
    /** The calling key on every non-public route (null on public ones). */
    apiKey: ApiKeyIdentity | null;
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  scope: RouteScope;
}

/** Set on a plugin's own instance by withScope(): the scope of routes it adds without one. */
const DEFAULT_SCOPE = 'kasaneDefaultRouteScope';
/** Set by withScope(…, { basicAuth: true }): routes in that plugin take the key as a Basic password. */
const DEFAULT_BASIC = 'kasaneDefaultBasicAuth';
const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * For plugins that add routes we do not write (swagger-ui, bull-board, static files):
 * every route registered inside `plugin` without its own scope gets `scope`.
 */
export function withScope<O extends Record<string, unknown>>(scope: RouteScope, plugin: FastifyPluginAsync<O>, how: { basicAuth?: boolean } = {}): FastifyPluginAsync<O> {
  return async (instance, opts) => {
    instance.decorate<RouteScope>(DEFAULT_SCOPE, scope);
    if (how.basicAuth) instance.decorate<boolean>(DEFAULT_BASIC, true);
    await plugin(instance, opts);
  };
}

/** Every route registered so far with its scope (HEAD routes fastify adds for GET included). */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return routeTables.get(app) ?? [];
}

/** Installs the scope check on `app`; call before any route is added. */
export function installAuth(app: FastifyInstance, keys: ApiKeyStore): void {
  const table: RouteEntry[] = [];
  routeTables.set(app, table);
  app.decorateRequest('apiKey', null);
  app.addHook('onRoute', function (this: FastifyInstance, route: RouteOptions) {
    const scope = route.config?.scope ?? (this as unknown as Record<string, unknown>)[DEFAULT_SCOPE];
    const methods = ([] as string[]).concat(route.method);
    if (!isRouteScope(scope)) {
      throw new Error(
        `route ${methods.join(',')} ${route.url} declares ${scope === undefined ? 'no' : 'an unknown'} scope: give it config: { scope: 'render' | 'template' | 'admin' | 'public' } (or a list of scopes); see src/api/auth.ts`,
      );
    }
    const basicAuth = route.config?.basicAuth ?? (this as unknown as Record<string, unknown>)[DEFAULT_BASIC] === true;
    route.config = { ...route.config, scope, basicAuth };
    for (const method of methods) table.push({ method, url: route.url, scope });
  });
  app.addHook('onRequest', async (req, reply) => {
    // No scope only when no route matched: the not-found handler answers.
    const { scope, basicAuth } = req.routeOptions.config;
    if (scope === undefined || scope === 'public') return;
    if (!basicAuth) {
      req.apiKey = await checkKey(keys, req, scope);
      return;
    }
    basicAsBearer(req);
    try {
      req.apiKey = await checkKey(keys, req, scope);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      // Answered here, not thrown: a plugin's own error handler (bull-board's) would make it a 500.
      const challenge = e.status === 401 ? { 'www-authenticate': 'Basic realm="Kasane admin", charset="UTF-8"' } : {};
      const message = e.status === 401 ? 'this page needs an admin key: as the password when the browser asks, or an "Authorization: Bearer <key>" header' : e.message;
      return reply.code(e.status).headers({ ...e.headers, ...challenge }).send(errorBody(e.code, message));
    }
  });
}

/** "Basic base64(user:key)" → "Bearer key", so the one key check reads it (any user name). */
function basicAsBearer(req: FastifyRequest): void {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return;
  const pair = Buffer.from(m[1]!, 'base64').toString('utf8');
  req.headers.authorization = `Bearer ${pair.slice(pair.indexOf(':') + 1)}`;
}

async function checkKey(keys: ApiKeyStore, req: FastifyRequest, scope: RouteScope): Promise<ApiKeyIdentity> {
  const key = await authenticate(keys, req);
  if (!allows(key.scopes, scope)) {
    const need = neededScopes(scope);
    throw new ApiError(
      403,
      'insufficient_scope',
      `this API key may not do this: it needs the scope ${need.map((s) => `"${s}"`).join(' or ')}${need.includes('admin') ? '' : ' (or "admin")'}`,
      undefined,
      { 'www-authenticate': `Bearer error="insufficient_scope", scope="${need.join(' ')}"` },
    );
  }
  return key;
}

async function authenticate(keys: ApiKeyStore, req: FastifyRequest): Promise<ApiKeyIdentity> {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  if (!m) throw new ApiError(401, 'unauthorized', 'missing "Authorization: Bearer <api key>" header', undefined, { 'www-authenticate': 'Bearer' });
  const key = await keys.authenticate(m[1]!);
  if (!key) throw new ApiError(401, 'unauthorized', 'unknown or revoked API key', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
  return key;
}
