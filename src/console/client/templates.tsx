// Templates: every active template with its numbers, and the package upload
// (drag & drop a zip or a folder, zipped here), its upload progress, then its preparation, then either
// "ready" or every problem the validator found.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure, postForm, sleep, type Problem } from './api.ts';
import { formatBytes, L, seconds } from './i18n.ts';
import type { Stats, TemplateSummary, VersionInfo } from './types.ts';
import { ErrorBox, ProblemList, Progress, StateBadge } from './ui.tsx';
import { layerNamesOf } from './zip-manifest.ts';
import { filesOfEntry, filesOfInput, zipFolder, type FolderFile } from './zip-folder.ts';

/** The funnel shown per template covers this many days (UTC, today included). */
const STATS_DAYS = 30;

interface Row {
  t: TemplateSummary;
  latest?: VersionInfo;
  stats?: Stats | null;
}

export function TemplatesScreen() {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = async () => {
    try {
      const { templates } = await api<{ templates: TemplateSummary[] }>('GET', '/v1/templates');
      setRows(templates.map((t) => ({ t })));
      // Then the latest version (a newer one may be preparing or have failed) and the last 30 days' view funnel, per template.
      const full = await Promise.all(
        templates.map(async (t): Promise<Row> => {
          const [v, s] = await Promise.all([
            api<{ versions: VersionInfo[] }>('GET', `/v1/templates/${t.id}/versions`).catch(() => null),
            api<Stats>('GET', `/v1/templates/${t.id}/stats?days=${STATS_DAYS}`).catch(() => null),
          ]);
          return { t, latest: v?.versions[0], stats: s };
        }),
      );
      setRows(full);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  return (
    <>
      <h1>{L('テンプレート', 'Templates')}</h1>
      <Upload onDone={load} />
      <h2>{L('公開中のテンプレート', 'Active templates')}</h2>
      <ErrorBox error={error} />
      {rows === null ? (
        <p>{L('読み込み中…', 'Loading…')}</p>
      ) : rows.length === 0 ? (
        <p>{L('まだテンプレートがありません。zip をアップロードしてください。', 'No templates yet: upload a zip.')}</p>
      ) : (
        <div class="table-wrap">
          <table class="templates">
            <caption class="sr-only">{L('公開中のテンプレート', 'Active templates')}</caption>
            <thead>
              <tr>
                <th scope="col">{L('テンプレート', 'Template')}</th>
                <th scope="col">{L('公開中のバージョン', 'Active version')}</th>
                <th scope="col">{L('サイズ', 'Size')}</th>
                <th scope="col">{L('長さ', 'Duration')}</th>
                <th scope="col">{L('個人化される秒数', 'Personalized')}</th>
                <th scope="col">{L('状態', 'State')}</th>
                <th scope="col">{L(`視聴（過去${STATS_DAYS}日）`, `Views (last ${STATS_DAYS} days)`)}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ t, latest, stats }) => (
                <tr>
                  <th scope="row">
                    <a href={`#/templates/${t.id}`}>{t.name}</a>
                    <div class="sub">{t.id}</div>
                  </th>
                  <td>
                    <code>{t.version}</code>
                  </td>
                  <td>
                    {t.width}×{t.height}
                  </td>
                  <td>{seconds(t.duration)}</td>
                  <td>{t.segments.personalized_seconds !== undefined ? seconds(t.segments.personalized_seconds) : `${t.segments.personalized}/${t.segments.total} ${L('セグメント', 'segments')}`}</td>
                  <td>
                    <StateBadge state="ready" />
                    {latest && latest.version !== t.version && (
                      <div class="sub">
                        {L('最新', 'Latest')} <code>{latest.version}</code> <StateBadge state={latest.state} />
                      </div>
                    )}
                  </td>
                  <td>{stats ? <Funnel stats={stats} /> : <span class="sub">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const STEPS: Record<string, [string, string]> = {
  issued: ['発行', 'issued'],
  opened: ['開封', 'opened'],
  started: ['再生', 'started'],
  progress_50: ['50%', '50%'],
  completed: ['完了', 'completed'],
  cta_clicked: ['CTA', 'CTA'],
};

function Funnel(p: { stats: Stats }) {
  return (
    <dl class="funnel">
      {p.stats.funnel.map((s) => (
        <div>
          <dt>{STEPS[s.step] ? L(...STEPS[s.step]!) : s.step}</dt>
          <dd>{s.count}</dd>
        </div>
      ))}
    </dl>
  );
}

type UploadState =
  | { phase: 'idle' }
  | { phase: 'zipping'; name: string }
  | { phase: 'uploading'; name: string; sent: number; total: number }
  | { phase: 'preparing'; name: string; template: string; version: string; since: number; step?: string; done?: number; total?: number }
  | { phase: 'ready'; name: string; template: string; version: string; active: boolean }
  | { phase: 'problems'; name: string; problems: Problem[]; message: string; layers?: string[] }
  | { phase: 'error'; name: string; error: unknown };

function Upload(p: { onDone: () => void }) {
  const [s, setS] = useState<UploadState>({ phase: 'idle' });
  const [over, setOver] = useState(false);
  const busy = s.phase === 'zipping' || s.phase === 'uploading' || s.phase === 'preparing';

  const send = async (file: File) => {
    const name = file.name;
    if (!/\.zip$/i.test(name)) {
      setS({ phase: 'problems', name, message: L('zip ファイルを選んでください。', 'Choose a zip file.'), problems: [] });
      return;
    }
    setS({ phase: 'uploading', name, sent: 0, total: file.size });
    const form = new FormData();
    form.append('package', file, name);
    try {
      const up = await postForm<{ template: string; version: string; state: string }>('/v1/templates', form, (sent, total) => setS({ phase: 'uploading', name, sent, total }));
      await watchPreparation(name, up.template, up.version, file);
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 422 && e.problems.length) setS({ phase: 'problems', name, problems: e.problems, message: e.message, layers: (await layerNamesOf(file)) ?? undefined });
      else setS({ phase: 'error', name, error: e });
    }
  };

  /** A folder: zipped here (template.json at the top), then sent like a zip. */
  const sendFolder = async (name: string, files: Promise<FolderFile[]> | FolderFile[]) => {
    setS({ phase: 'zipping', name });
    try {
      void send(await zipFolder(await files));
    } catch (e) {
      setS({ phase: 'error', name, error: e });
    }
  };

  /** Polls the version until it is ready or failed; the active version is untouched until then. */
  const watchPreparation = async (name: string, template: string, version: string, file: File) => {
    const since = Date.now();
    for (;;) {
      const v = await api<VersionInfo>('GET', `/v1/templates/${template}/versions/${version}`);
      if (v.state === 'ready') {
        setS({ phase: 'ready', name, template, version, active: v.active });
        p.onDone();
        return;
      }
      if (v.state === 'failed') {
        const problems = v.problems?.length ? v.problems : [{ message: `preparation failed: ${v.error ?? ''}`, message_ja: `準備に失敗しました: ${v.error ?? ''}` }];
        setS({ phase: 'problems', name, problems, message: v.error ?? '', layers: (await layerNamesOf(file)) ?? undefined });
        return;
      }
      setS({ phase: 'preparing', name, template, version, since, step: v.prepare?.step ?? undefined, done: v.prepare?.done, total: v.prepare?.total });
      await sleep(1000);
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (busy) return;
    // A dropped folder is only reachable as an entry, and only during the event.
    const entry = e.dataTransfer?.items[0]?.webkitGetAsEntry();
    if (entry?.isDirectory) return void sendFolder(entry.name, filesOfEntry(entry as FileSystemDirectoryEntry));
    const f = e.dataTransfer?.files[0];
    if (f) void send(f);
  };
  return (
    <section class="upload" aria-labelledby="upload-title">
      <h2 id="upload-title">{L('新しいバージョンをアップロード', 'Upload a new version')}</h2>
      <div
        class={`dropzone ${over ? 'over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>{L('テンプレートの zip かフォルダをここにドロップ、または', 'Drop the template zip or folder here, or')}</p>
        <label class="button">
          {L('zip ファイルを選択', 'Choose a zip file')}
          <input
            type="file"
            accept=".zip,application/zip"
            class="sr-only"
            disabled={busy}
            data-testid="package-input"
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (f) void send(f);
            }}
          />
        </label>{' '}
        <label class="button">
          {L('フォルダを選択', 'Choose a folder')}
          <input
            type="file"
            class="sr-only"
            disabled={busy}
            data-testid="folder-input"
            ref={(el) => {
              // Set as a property: Preact's JSX types have no webkitdirectory attribute.
              if (el) el.webkitdirectory = true;
            }}
            onChange={(e) => {
              const files = e.currentTarget.files;
              if (!files?.length) return;
              const list = filesOfInput(files);
              e.currentTarget.value = '';
              void sendFolder(list[0]!.path.split('/')[0]!, list);
            }}
          />
        </label>
        <p class="help">{L('公開中のバージョンは、新しいバージョンの準備が終わるまでそのまま使われます。問題があれば公開されません。', 'The active version stays live until the new one is ready; a package with problems is never published.')}</p>
      </div>
      <div aria-live="polite" class="upload-status">
        {s.phase === 'zipping' && <Progress label={`${L('フォルダを zip にしています', 'Zipping the folder')} ${s.name}`} />}
        {s.phase === 'uploading' && <Progress value={s.sent} max={s.total || 1} label={`${L('アップロード中', 'Uploading')} ${s.name}: ${formatBytes(s.sent)} / ${formatBytes(s.total)}`} />}
        {s.phase === 'preparing' && (
          <Progress
            value={s.total ? s.done : undefined}
            max={s.total}
            label={`${L('準備中', 'Preparing')} ${s.template} ${s.version}${s.step ? ` — ${s.step}` : ''} (${Math.round((Date.now() - s.since) / 1000)} ${L('秒', 's')})`}
          />
        )}
        {s.phase === 'ready' && (
          <p class="ok" role="status">
            {L('準備ができました', 'Ready')}: <a href={`#/templates/${s.template}`}>{s.template}</a> <code>{s.version}</code>
            {s.active ? L('（公開中）', ' (active)') : ''}
          </p>
        )}
        {s.phase === 'problems' && (
          <div class="error" role="alert">
            <p>
              {L(`${s.name} に ${s.problems.length} 件の問題があります。直してからもう一度アップロードしてください。公開中のバージョンはそのままです。`, `${s.name} has ${s.problems.length} problem(s). Fix them and upload again; the active version is unchanged.`)}
            </p>
            {s.problems.length === 0 && <p>{s.message}</p>}
            <ProblemList problems={s.problems} layerNames={s.layers} />
          </div>
        )}
        {s.phase === 'error' && <ErrorBox error={s.error} />}
      </div>
    </section>
  );
}
