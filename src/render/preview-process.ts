// The preview-drawing child process: canvas drawing and PNG/GIF encoding are
// synchronous and take up to ~0.5 s (seconds for a GIF), and Skia canvases,
// fonts and a second V8 heap cost ~100 MB. In a process of its own neither the
// time nor the memory counts against the API. A person's poster, link card and
// GIF, and the layer images of the watch page's browser composite, are drawn here too. Started by preview-pool.ts with fork().
import { LocalStorage } from '../storage/storage.ts';
import type { ImageFetchPolicy } from '../overlays/index.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import { drawContext } from './personalize.ts';
import { contactSheet, previewStills } from './preview.ts';
import { drawStill, type StillVariant } from './poster.ts';
import { drawPreviewGif } from './preview-gif.ts';
import { drawLayerImage } from './layer-image.ts';

/** Passed as the child's one argument, as JSON. */
export interface PreviewProcessInit {
  storageDir: string;
  fetchPolicy: ImageFetchPolicy;
}
/** A template preview (stills and contact sheet), or one of a person's images (poster.ts, preview-gif.ts). */
export interface PreviewTask {
  id: number;
  plan: TemplatePlan;
  data: Record<string, unknown>;
  image?: StillVariant | 'gif';
  /** One layer's overlay image (PNG, box size) for this person: the watch page's browser composite. */
  layer?: number;
}

const init = JSON.parse(process.argv[2]!) as PreviewProcessInit;
const storage = new LocalStorage(init.storageDir);
const send = (m: unknown) => process.send!(m);

process.on('message', (task: PreviewTask) => {
  // Lets the pool tell a task this child died drawing from one it never got.
  send({ id: task.id, received: true });
  void (async () => {
    try {
      if (task.layer !== undefined) {
        const image = await drawLayerImage(task.plan, task.data, storage, drawContext(task.plan, storage, init.fetchPolicy), task.layer);
        send({ id: task.id, ok: true, image });
        return;
      }
      if (task.image) {
        const ctx = drawContext(task.plan, storage, init.fetchPolicy);
        const image = task.image === 'gif' ? await drawPreviewGif(task.plan, task.data, storage, ctx) : await drawStill(task.plan, task.data, storage, ctx, task.image);
        send({ id: task.id, ok: true, image });
        return;
      }
      const stills = await previewStills(task.plan, task.data, storage, drawContext(task.plan, storage, init.fetchPolicy));
      const sheet = await contactSheet(task.plan, stills);
      send({ id: task.id, ok: true, stills, sheet });
    } catch (e) {
      const err = e as Error;
      send({ id: task.id, ok: false, error: { name: err.name, message: err.message, stack: err.stack } });
    }
  })();
});
// The API went away (crash, SIGKILL): do not linger as an orphan.
process.on('disconnect', () => process.exit(0));
