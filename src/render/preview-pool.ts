// Previews, posters and GIFs are drawn in a long-lived child process
// (preview-process.ts), so drawing never stalls the API's other requests
// (accepts, viewers' segments) and its canvases, fonts and V8 heap (~100 MB)
// are not the API's memory (a worker thread's would be). The child starts with the
// API (warm(), from the CLI) or on the first request, and is reused: font registration
// is paid once, before anyone waits; if it dies it is started again on the next request. It runs at the API's priority: viewers wait on posters.
// Layer images of the watch page's browser composite go ahead of everything else queued:
// the page starts playing only once it has them, while a poster is only the picture until then.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT, type LogLevel } from '../config/index.ts';
import type { ImageFetchPolicy } from '../overlays/index.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import type { Still } from './preview.ts';
import type { PreviewTask, PreviewProcessInit } from './preview-process.ts';

export interface Preview {
  stills: Still[];
  sheet: Buffer;
}

type Done = { stills: Still[]; sheet: Uint8Array } | { image: Uint8Array };

interface Pending {
  task: PreviewTask;
  resolve: (d: Done) => void;
  reject: (e: Error) => void;
  /** The child said it has the task: if it dies after this, the task failed; before, it never got it. */
  received?: boolean;
  /** Handed to a fresh child once already: a child that cannot start must not respawn forever. */
  resent?: boolean;
  /** A viewer's playback waits on it: queued ahead of the rest. */
  urgent?: boolean;
}

interface Slot {
  child: ChildProcess;
  busy: Pending | null;
}

type Reply = { id: number; received: true } | ({ id: number; ok: true } & Done) | { id: number; ok: false; error: { name: string; message: string; stack?: string } };

// The V8 serializer ('advanced' IPC) may hand Buffers back as plain Uint8Arrays.
const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class PreviewPool {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly storage: PreviewProcessInit['storage'],
    private readonly fetchPolicy: ImageFetchPolicy,
    private readonly logLevel: LogLevel = 'info',
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

  /** One layer's overlay PNG for this person (layer-image.ts), exactly what the renderer composites. */
  async layerImage(plan: TemplatePlan, data: Record<string, unknown>, layer: number): Promise<Buffer> {
    return buf(((await this.run({ id: this.nextId++, plan, data, layer }, true)) as { image: Uint8Array }).image);
  }

  /** Starts the drawing process now, so the first request does not wait for its start (fonts, canvas). */
  warm(): void {
    if (!this.closed && !this.slots.length) this.spawn();
  }

  private run(task: PreviewTask, urgent = false): Promise<Done> {
    if (this.closed) return Promise.reject(new Error('preview pool closed'));
    return new Promise((resolve, reject) => {
      const p: Pending = { task, resolve, reject, urgent };
      // Urgent ones in their own order, before the first that is not.
      const at = urgent ? this.queue.findIndex((q) => !q.urgent) : -1;
      if (at < 0) this.queue.push(p);
      else this.queue.splice(at, 0, p);
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      // A child that died but whose exit is not handled yet gets nothing more.
      this.slots = this.slots.filter((s) => s.child.connected || s.busy);
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const p = this.queue.shift()!;
      slot.busy = p;
      // Busy: the channel keeps the API alive until the answer comes.
      slot.child.channel?.ref();
      const sent = slot;
      sent.child.send(p.task, (err) => {
        if (!err || sent.busy !== p) return;
        // Never delivered (the child had just died): not lost, drawn by a fresh child (once).
        this.slots = this.slots.filter((s) => s !== sent);
        sent.busy = null;
        if (p.resent || this.closed) return p.reject(new Error(`preview process unreachable: ${err.message}`));
        p.resent = true;
        this.queue.unshift(p);
        this.pump();
      });
    }
  }

  private spawn(): Slot {
    const file = fileURLToPath(new URL(`./preview-process${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
    const init: PreviewProcessInit = { storage: this.storage, fetchPolicy: this.fetchPolicy, logLevel: this.logLevel };
    const child = fork(file, [], {
      cwd: PROJECT_ROOT,
      // Running from TypeScript sources (tsx): the child needs the same loader. Not the
      // parent's own flags (e.g. --test under the test runner).
      execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [],
      // Buffers and structured data pass as with postMessage.
      serialization: 'advanced',
    });
    // First message, before any task (the channel keeps order).
    child.send({ init });
    const slot: Slot = { child, busy: null };
    const idle = () => {
      // An idle child must not keep a finishing API process alive.
      child.unref();
      child.channel?.unref();
    };
    idle();
    child.on('message', (r: Reply) => {
      if ('received' in r) {
        if (slot.busy?.task.id === r.id) slot.busy.received = true;
        return;
      }
      const p = slot.busy;
      slot.busy = null;
      idle();
      if (p && p.task.id === r.id) {
        if (r.ok) p.resolve(r);
        else p.reject(Object.assign(new Error(r.error.message), { name: r.error.name, stack: r.error.stack }));
      }
      this.pump();
    });
    const gone = (e: Error) => {
      if (!this.slots.includes(slot)) return;
      this.slots = this.slots.filter((s) => s !== slot);
      const p = slot.busy;
      slot.busy = null;
      // Sent to a child that had just died (its exit not yet seen): not lost, drawn by a fresh child.
      if (p && !p.received && !p.resent && !this.closed) {
        p.resent = true;
        this.queue.unshift(p);
      } else p?.reject(e);
      // A dead child is replaced by a fresh one for whatever is queued.
      if (!this.closed) this.pump();
    };
    child.on('error', (e) => gone(new Error(`preview process failed: ${e.message}`)));
    child.on('exit', (code, signal) => gone(new Error(`preview process exited (${signal ?? `code ${code}`}) while drawing`)));
    this.slots.push(slot);
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('preview pool closed'));
    for (const s of this.slots) s.busy?.reject(new Error('preview pool closed'));
    await Promise.all(
      this.slots.map((s) => {
        if (s.child.exitCode !== null || s.child.signalCode !== null) return;
        const exited = new Promise((r) => s.child.once('exit', r));
        s.child.kill('SIGKILL');
        return exited;
      }),
    );
  }
}
