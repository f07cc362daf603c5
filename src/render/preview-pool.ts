// Previews are drawn in worker threads, so an operator's preview never stalls
// the API's other requests (accepts, viewers' segments). Threads start on the
// first preview and are reused: font registration is paid once per thread.
import { Worker } from 'node:worker_threads';
import type { ImageFetchPolicy } from '../overlays/index.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import type { Still } from './preview.ts';
import type { PreviewTask, PreviewThreadInit } from './preview-thread.ts';

export interface Preview {
  stills: Still[];
  sheet: Buffer;
}

type Done = { stills: Still[]; sheet: Uint8Array } | { image: Uint8Array };

interface Pending {
  task: PreviewTask;
  resolve: (d: Done) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

type Reply = ({ id: number; ok: true } & Done) | { id: number; ok: false; error: { name: string; message: string; stack?: string } };

// Structured clone turns Buffers into Uint8Arrays.
const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class PreviewPool {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly storageDir: string,
    private readonly fetchPolicy: ImageFetchPolicy,
    private readonly size = 1,
  ) {}

  async draw(plan: TemplatePlan, data: Record<string, unknown>): Promise<Preview> {
    const d = (await this.run({ id: this.nextId++, plan, data })) as { stills: Still[]; sheet: Uint8Array };
    return { stills: d.stills.map((s) => ({ ...s, png: buf(s.png) })), sheet: buf(d.sheet) };
  }

  /** One of a person's images (src/render/poster.ts, preview-gif.ts): JPEG or GIF bytes. */
  async image(plan: TemplatePlan, data: Record<string, unknown>, image: NonNullable<PreviewTask['image']>): Promise<Buffer> {
    return buf(((await this.run({ id: this.nextId++, plan, data, image })) as { image: Uint8Array }).image);
  }

  private run(task: PreviewTask): Promise<Done> {
    if (this.closed) return Promise.reject(new Error('preview pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.postMessage(p.task);
    }
  }

  private spawn(): Slot {
    const self = new URL(import.meta.url);
    const ts = self.pathname.endsWith('.ts');
    const entry = new URL(`./preview-thread.${ts ? 'ts' : 'js'}`, self).href;
    const init: PreviewThreadInit = { entry, storageDir: this.storageDir, fetchPolicy: this.fetchPolicy };
    const worker = new Worker(ts ? new URL('./preview-thread-boot.mjs', self) : new URL(entry), { workerData: init });
    // An idle thread must not keep a finishing process alive.
    worker.unref();
    const slot: Slot = { worker, busy: null };
    worker.on('message', (r: Reply) => {
      const p = slot.busy;
      slot.busy = null;
      if (p && p.task.id === r.id) {
        if (r.ok) p.resolve(r);
        else p.reject(Object.assign(new Error(r.error.message), { name: r.error.name, stack: r.error.stack }));
      }
      this.pump();
    });
    const gone = (e: Error) => {
      this.slots = this.slots.filter((s) => s !== slot);
      slot.busy?.reject(e);
      slot.busy = null;
      if (!this.closed) this.pump();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`preview thread exited (${code})`)));
    this.slots.push(slot);
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('preview pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
