// One preview-drawing thread: canvas drawing and PNG encoding are synchronous
// and take up to ~0.5 s for a portrait worst case, so they run here, never on
// the API's event loop. A person's poster, link card and GIF are drawn here too.
import { parentPort, workerData } from 'node:worker_threads';
import { LocalStorage } from '../storage/storage.ts';
import type { ImageFetchPolicy } from '../overlays/index.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import { drawContext } from './personalize.ts';
import { contactSheet, previewStills } from './preview.ts';
import { drawStill, type StillVariant } from './poster.ts';
import { drawPreviewGif } from './preview-gif.ts';

export interface PreviewThreadInit {
  entry: string;
  storageDir: string;
  fetchPolicy: ImageFetchPolicy;
}
/** A template preview (stills and contact sheet), or one of a person's images (poster.ts, preview-gif.ts). */
export interface PreviewTask {
  id: number;
  plan: TemplatePlan;
  data: Record<string, unknown>;
  image?: StillVariant | 'gif';
}

const init = workerData as PreviewThreadInit;
const storage = new LocalStorage(init.storageDir);

parentPort!.on('message', (task: PreviewTask) => {
  void (async () => {
    try {
      if (task.image) {
        const ctx = drawContext(task.plan, storage, init.fetchPolicy);
        const image = task.image === 'gif' ? await drawPreviewGif(task.plan, task.data, storage, ctx) : await drawStill(task.plan, task.data, storage, ctx, task.image);
        parentPort!.postMessage({ id: task.id, ok: true, image });
        return;
      }
      const stills = await previewStills(task.plan, task.data, storage, drawContext(task.plan, storage, init.fetchPolicy));
      const sheet = await contactSheet(task.plan, stills);
      parentPort!.postMessage({ id: task.id, ok: true, stills, sheet });
    } catch (e) {
      const err = e as Error;
      parentPort!.postMessage({ id: task.id, ok: false, error: { name: err.name, message: err.message, stack: err.stack } });
    }
  })();
});
