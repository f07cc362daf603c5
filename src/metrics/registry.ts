// The process's one Prometheus registry. Every kasane_ metric lives in it, next
// to prom-client's default process metrics (CPU, memory, event-loop lag, GC),
// which keep their standard names so stock Node.js dashboards work unchanged.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();

collectDefaultMetrics({ register: registry });

/**
 * Which part of Kasane this process runs (api, worker, or all for `kasane start`):
 * added to every series, so one dashboard tells API and worker processes apart.
 */
export function setProcessRole(role: 'api' | 'worker' | 'all'): void {
  registry.setDefaultLabels({ role });
}

/** The text exposition format, for GET /metrics and the metrics port. */
export async function exposition(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
