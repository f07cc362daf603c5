// Under tsx (no build step) a worker thread does not inherit the TypeScript
// loader that bin/kasane.js registers: register it here, then load the thread.
import { workerData } from 'node:worker_threads';
const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
