// Who may call what. A key holds one or more scopes; a route names the scope(s)
// that may call it, or 'public' for URLs with their own signatures (viewer
// tokens, connector hooks). admin passes every check.
import { API_SCOPES, type ApiScope } from '../config/index.ts';

export { API_SCOPES, type ApiScope };

/** A route's declaration: `config: { scope }` on every route (src/api/auth.ts refuses one without). */
export type RouteScope = 'public' | ApiScope | readonly ApiScope[];

/** The calling key, as routes see it on `req.apiKey`. */
export interface ApiKeyIdentity {
  id: string;
  name: string;
  scopes: ApiScope[];
}

export function isRouteScope(v: unknown): v is RouteScope {
  if (v === 'public') return true;
  const list = Array.isArray(v) ? v : [v];
  return list.length > 0 && list.every((s) => (API_SCOPES as readonly unknown[]).includes(s));
}

/** The scopes that may call a route ([] for public). */
export function neededScopes(scope: RouteScope): ApiScope[] {
  if (scope === 'public') return [];
  return typeof scope === 'string' ? [scope] : [...scope];
}

export function allows(held: readonly ApiScope[], scope: RouteScope): boolean {
  if (scope === 'public' || held.includes('admin')) return true;
  return neededScopes(scope).some((s) => held.includes(s));
}
