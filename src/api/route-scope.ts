// Who may call a route, declared in its options (`config: { scope }`) and read by the
// key check: render = MA tools, template = operators, admin = everything,
// public = no key (viewer URLs, hooks with their own signatures, /docs).
export type RouteScope = 'render' | 'template' | 'admin' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
}
