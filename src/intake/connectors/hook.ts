// One call of a tool to /hooks/:connectorId, from bytes to the tool's answer:
// find the connector (404), let its kind authenticate the call (401) — nothing
// is read or stored before both pass — then map the payload, look up skus,
// accept the render under an external id derived from the tool's own identity
// (connector + contact + campaign), and answer in the kind's shape.
import { ApiError } from '../../config/api-error.ts';
import { acceptRender, renderUrls, type AcceptDeps } from '../accept.ts';
import type { CatalogStore } from '../catalog.ts';
import { mapPayload } from '../mapping.ts';
import { kindOf } from './kinds/index.ts';
import type { ConnectorStore } from './store.ts';
import type { Connector, HookIdentity, HookReply, HookRequest, HookResult } from './types.ts';

export interface HookDeps extends AcceptDeps {
  connectors: ConnectorStore;
  catalogs: CatalogStore;
}

/** connector + contact + campaign; ":" and "%" escaped so the parts cannot run into each other. */
export function externalIdFor(connector: Pick<Connector, 'id'>, who: HookIdentity): string {
  const esc = (s: string) => s.replace(/[%:]/g, encodeURIComponent);
  return [connector.id, esc(who.contact), ...(who.campaign ? [esc(who.campaign)] : [])].join(':');
}

export async function handleHook(deps: HookDeps, connectorId: string, req: HookRequest): Promise<HookReply> {
  const connector = await deps.connectors.get(connectorId);
  if (!connector) throw new ApiError(404, 'connector_not_found', 'no such connector; check the hook URL');
  const kind = kindOf(connector.kind);
  if (!kind) throw new ApiError(501, 'kind_not_available', `connectors of kind "${connector.kind}" are not available in this version`);
  await kind.authenticate(req, connector);
  try {
    const control = await kind.control?.(req, connector, async () => (await deps.registry.activePlan(connector.template))?.manifest.fields);
    if (control) return control;
    const payload = kind.payload(req, connector);
    const who = kind.identity(req, payload, connector);
    const plan = await deps.registry.activePlan(connector.template);
    if (!plan) throw new ApiError(404, 'template_not_found', `the connector's template "${connector.template}" does not exist (any more)`);
    const mapped = await mapPayload(plan.manifest.fields, connector.mapping, payload, deps.catalogs.lookup(connector.template));
    const externalId = externalIdFor(connector, who);
    const accepted = await acceptRender(deps, { template: connector.template, data: mapped.data, mode: connector.mode, externalId, expiresIn: connector.expires_in, connector: connector.id, source: 'hook' }).catch((e: unknown) => {
      throw e instanceof ApiError && e.status === 422 && e.problems ? withSources(e, mapped.sources) : e;
    });
    const urls = renderUrls(deps.config.publicUrl, accepted.meta);
    const result: HookResult = {
      created: accepted.created,
      render_id: accepted.meta.id,
      status: accepted.state,
      watch_url: urls.player_url,
      playlist_url: urls.playlist_url,
      mp4_url: urls.mp4_url,
      poster_url: urls.poster_url,
      expires_at: new Date(accepted.meta.expiresAt * 1000).toISOString(),
      external_id: externalId,
      warnings: mapped.warnings,
    };
    return kind.answer(result, req, connector);
  } catch (e) {
    const shaped = e instanceof ApiError ? kind.errorAnswer?.(e, req, connector) : undefined;
    if (shaped) return shaped;
    throw e;
  }
}

/** 422 problems name the template field (/data/<field>); say where in the payload it was read from too. */
function withSources(e: ApiError, sources: Record<string, string>): ApiError {
  const problems = e.problems!.map((p) => {
    const field = /^\/data\/([^/]+)/.exec(p.pointer)?.[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
    const from = field !== undefined ? sources[field] : undefined;
    return from ? { ...p, message: `${p.message} (mapped from ${from})` } : p;
  });
  return new ApiError(e.status, e.code, e.message, problems, e.headers);
}
