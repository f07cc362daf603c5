// Prometheus metrics (prom-client): one registry per process, metric objects any
// layer may record into, queue depth read at scrape time, and the metrics port.
export { registry, exposition, setProcessRole } from './registry.ts';
export * from './metrics.ts';
export { watchQueueDepth, type CountableQueue } from './queue-depth.ts';
export { startMetricsServer, type MetricsServer } from './server.ts';
