// Who may call a route (docs/api.md "Keys and scopes"): declared in each route's config.
// A placeholder until the access module's global hook (which enforces it) lands; the
// access helper's own declaration replaces this file at merge.
export type RouteScope = 'render' | 'template' | 'admin' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope | RouteScope[];
  }
}
