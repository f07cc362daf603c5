// The preview-drawing child process: canvas drawing and PNG/GIF encoding are
// synchronous and take up to ~0.5 s (seconds for a GIF), and Skia canvases,
// fonts and a second V8 heap cost ~100 MB. In a process of its own neither the
// time nor the memory counts against the API. A person's poster, link card and
// GIF, and the layer images of the watch page's browser composite, are drawn here too. Started by preview-pool.ts with fork().
import { openStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/storage.ts';
import type { Config } from '../config/index.ts';
import { ensureFonts, type ImageFetchPolicy } from '../overlays/index.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import { drawContext } from './personalize.ts';
import { contactSheet, previewStills } from './preview.ts';
import { drawStill, type StillVariant } from './poster.ts';
import { drawPreviewGif } from './preview-gif.ts';
import { createLogger } from '../config/logger.ts';
import type { LogLevel } from '../config/index.ts';
import { drawLayerImage } from './layer-image.ts';

/** The child's first message (not an argument: storage settings may hold credentials, and argv is public). */
export interface PreviewProcessInit {
  storage: Pick<Config, 'storage' | 'cache'>;
  fetchPolicy: ImageFetchPolicy;
  /** The API's LOG_LEVEL: this process logs through the same pino setup (JSON lines on stdout). */
  logLevel?: LogLevel;
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

let init: PreviewProcessInit;
let storage: Storage;
const send = (m: unknown) => process.send!(m);
// Replaced by one at the API's level when the init message arrives.
let log = createLogger('info', { name: 'preview' });
// A crash is one structured line, not a bare stack on stderr; error messages can quote drawn text, so only its kind.
process.on('uncaughtException', (e) => {
  log.fatal({ err: { type: e.name } }, 'preview process failed');
  process.exit(1);
});

process.on('message', (msg: PreviewTask | { init: PreviewProcessInit }) => {
  if ('init' in msg) {
    init = msg.init;
    log = createLogger(init.logLevel ?? 'info', { name: 'preview' });
    storage = openStorage(init.storage);
    // Fonts now, while no one waits: every drawing needs them (a few hundred ms, once).
    setImmediate(() => ensureFonts());
    return;
  }
  const task = msg;
  // Lets the pool tell a task this child died drawing from one it never got.
  send({ id: task.id, received: true });
  const t0 = performance.now();
  // Ids only: the data being drawn is a person's.
  const about = { task: task.id, template: task.plan.templateId, version: task.plan.version, image: task.image ?? 'preview' };
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
        log.debug({ ...about, ms: Math.round(performance.now() - t0) }, 'drawn');
        return;
      }
      const stills = await previewStills(task.plan, task.data, storage, drawContext(task.plan, storage, init.fetchPolicy));
      const sheet = await contactSheet(task.plan, stills);
      send({ id: task.id, ok: true, stills, sheet });
      log.debug({ ...about, ms: Math.round(performance.now() - t0) }, 'drawn');
    } catch (e) {
      const err = e as Error;
      log.warn({ ...about, err: { type: err.name } }, 'drawing failed');
      send({ id: task.id, ok: false, error: { name: err.name, message: err.message, stack: err.stack } });
    }
  })();
});
// The API went away (crash, SIGKILL): do not linger as an orphan.
process.on('disconnect', () => process.exit(0));
