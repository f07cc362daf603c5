// Small shared pieces: progress bars, a confirmation dialog, error and problem lists.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import { ApiFailure, type Problem } from './api.ts';
import { currentLang, L } from './i18n.ts';

export function Progress(p: { value?: number; max?: number; label: string }) {
  // No value: an indeterminate bar (the step is running, its length unknown).
  return (
    <div class="progress">
      <progress value={p.value} max={p.max ?? 1} aria-label={p.label} />
      <span>{p.label}</span>
    </div>
  );
}

/** A modal <dialog>: focus moves into it, Esc closes it, the page behind is inert. */
export function Dialog(p: { title: string; open: boolean; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (p.open && !d.open) d.showModal();
    if (!p.open && d.open) d.close();
  }, [p.open]);
  return (
    <dialog ref={ref} class={p.wide ? 'wide' : ''} aria-labelledby={titleId} onClose={p.onClose}>
      <h2 id={titleId}>{p.title}</h2>
      {p.children}
    </dialog>
  );
}

export function Confirm(p: { open: boolean; title: string; body: string; ok: string; onOk: () => void; onCancel: () => void }) {
  return (
    <Dialog title={p.title} open={p.open} onClose={p.onCancel}>
      <p>{p.body}</p>
      <div class="actions">
        <button type="button" class="secondary" onClick={p.onCancel}>
          {L('キャンセル', 'Cancel')}
        </button>
        <button type="button" onClick={p.onOk}>
          {p.ok}
        </button>
      </div>
    </Dialog>
  );
}

export const problemText = (p: Problem): string => (currentLang() === 'ja' && p.message_ja ? p.message_ja : p.message);

export function ErrorBox(p: { error: unknown }) {
  if (!p.error) return null;
  const e = p.error;
  const msg = e instanceof ApiFailure ? (e.status === 0 ? L('サーバーに接続できません', 'Cannot reach the server') : e.message) : String(e);
  return (
    <div class="error" role="alert">
      <p>{msg}</p>
      {e instanceof ApiFailure && e.problems.length > 0 && (
        <ul>
          {e.problems.map((pr) => (
            <li>
              {pr.pointer && <code>{pr.pointer}</code>} {problemText(pr)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * Where a validator problem is, in words: the file, or for template.json the
 * layer / field / section. Pointers: `/layers/2/box`, `file:<path>`, `zip:<entry>`.
 */
export function problemPlace(pointer: string | undefined, layerNames: string[] = []): { file: string; part: string } {
  const ptr = pointer ?? '';
  if (ptr.startsWith('file:')) return { file: ptr.slice(5) || L('パッケージ', 'package'), part: '' };
  if (ptr.startsWith('zip:')) return { file: L('zip ファイル', 'zip file'), part: ptr.slice(4) };
  const parts = ptr.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts[0] === 'layers' && parts[1] !== undefined) {
    const i = Number(parts[1]);
    const name = layerNames[i];
    return { file: 'template.json', part: `${L('レイヤー', 'Layer')} ${i + 1}${name ? `「${name}」` : ''}` };
  }
  if (parts[0] === 'fields' && parts[1]) return { file: 'template.json', part: `${L('項目', 'Field')}「${parts[1]}」` };
  if (parts[0]) return { file: 'template.json', part: parts[0] };
  return { file: 'template.json', part: '' };
}

/** Every problem at once, grouped by file, then by layer / field / section. */
export function ProblemList(p: { problems: Problem[]; layerNames?: string[] }) {
  const groups = new Map<string, Map<string, Problem[]>>();
  // Layers in their order in template.json (the validator reports by check, not by layer).
  const layerOf = (pr: Problem) => Number(/^\/layers\/(\d+)/.exec(pr.pointer ?? '')?.[1] ?? -1);
  for (const pr of [...p.problems].sort((a, b) => layerOf(a) - layerOf(b))) {
    const { file, part } = problemPlace(pr.pointer, p.layerNames);
    const g = groups.get(file) ?? new Map<string, Problem[]>();
    groups.set(file, g);
    g.set(part, [...(g.get(part) ?? []), pr]);
  }
  return (
    <div class="problems">
      {[...groups].map(([file, parts]) => (
        <section class="problem-file">
          <h4>{file}</h4>
          {[...parts].map(([part, list]) => (
            <div class="problem-part">
              {part && <h5>{part}</h5>}
              <ul>
                {list.map((pr) => (
                  <li class={pr.message.startsWith('note:') ? 'note' : ''}>
                    {problemText(pr)}
                    {pr.pointer && (
                      <>
                        {' '}
                        <code class="pointer">{pr.pointer}</code>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </section>
      ))}
    </div>
  );
}

export function StateBadge(p: { state: string }) {
  const words: Record<string, [string, string]> = {
    preparing: ['準備中', 'preparing'],
    ready: ['公開可能', 'ready'],
    failed: ['失敗', 'failed'],
    lazy: ['再生待ち', 'lazy'],
    queued: ['待機中', 'queued'],
    rendering: ['作成中', 'rendering'],
    done: ['完了', 'done'],
    running: ['実行中', 'running'],
    pending: ['作成中', 'pending'],
    waiting: ['待機中', 'waiting'],
  };
  const w = words[p.state];
  return <span class={`badge ${p.state}`}>{w ? L(w[0], w[1]) : p.state}</span>;
}
