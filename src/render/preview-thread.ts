// One preview-drawing thread: canvas drawing and PNG encoding are synchronous
// and take up to ~0.5 s for a portrait worst case, so they run here, never on
// the API's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { LocalStorage } from '../storage/storage.ts';
import type { ImageFetchPolicy } from '../overlays/index.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import { drawContext } from './personalize.ts';
import { contactSheet, previewStills } from './preview.ts';

export interface PreviewThreadInit {
  entry: string;
  storageDir: string;
  fetchPolicy: ImageFetchPolicy;
}
export interface PreviewTask {
  id: number;
  plan: TemplatePlan;
  data: Record<string, unknown>;
}

const init = workerData as PreviewThreadInit;
const storage = new LocalStorage(init.storageDir);

parentPort!.on('message', (task: PreviewTask) => {
  void (async () => {
    try {
      const stills = await previewStills(task.plan, task.data, storage, drawContext(task.plan, storage, init.fetchPolicy));
      const sheet = await contactSheet(task.plan, stills);
      parentPort!.postMessage({ id: task.id, ok: true, stills, sheet });
    } catch (e) {
      const err = e as Error;
      parentPort!.postMessage({ id: task.id, ok: false, error: { name: err.name, message: err.message, stack: err.stack } });
    }
  })();
});
