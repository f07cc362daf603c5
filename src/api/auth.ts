// The one access check. Every route declares who may call it in its options,
// `config: { scope: 'render' | 'template' | 'admin' | 'public' | [...] }`; a route
// without one is refused when it is registered, so the service will not start
// with a route nobody thought about. One onRequest hook then checks the bearer
// key against that scope, before any body is read.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, RouteOptions } from 'fastify';
import { ApiError } from './errors.ts';
import { allows, isRouteScope, neededScopes, type ApiKeyIdentity, type RouteScope } from '../access/scopes.ts';
import type { ApiKeyStore } from '../access/keys.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
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
const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * For plugins that add routes we do not write (swagger-ui, bull-board, static files):
 * every route registered inside `plugin` without its own scope gets `scope`.
 */
export function withScope<O extends Record<string, unknown>>(scope: RouteScope, plugin: FastifyPluginAsync<O>): FastifyPluginAsync<O> {
  return async (instance, opts) => {
    instance.decorate<RouteScope>(DEFAULT_SCOPE, scope);
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
    route.config = { ...route.config, scope };
    for (const method of methods) table.push({ method, url: route.url, scope });
  });
  app.addHook('onRequest', async (req) => {
    // No scope only when no route matched: the not-found handler answers.
    const scope = req.routeOptions.config.scope;
    if (scope === undefined || scope === 'public') return;
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
    req.apiKey = key;
  });
}

async function authenticate(keys: ApiKeyStore, req: FastifyRequest): Promise<ApiKeyIdentity> {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  if (!m) throw new ApiError(401, 'unauthorized', 'missing "Authorization: Bearer <api key>" header', undefined, { 'www-authenticate': 'Bearer' });
  const key = await keys.authenticate(m[1]!);
  if (!key) throw new ApiError(401, 'unauthorized', 'unknown or revoked API key', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
  return key;
}
