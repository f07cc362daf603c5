// One template: preview (example, worst case, or the form's data), try it (a real
// render played in the page), its versions (activate / roll back), recent renders.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { formatDate, L, seconds } from './i18n.ts';
import type { FieldSpec, Render, TemplateSummary, VersionInfo } from './types.ts';
import { Confirm, Dialog, ErrorBox, ProblemList, StateBadge } from './ui.tsx';
import { RenderList, RenderProgress } from './renders.tsx';
import { Player } from './player.tsx';

interface Still {
  layer: string;
  type: string;
  time: number;
  warnings?: string[];
  png_base64: string;
}
interface PreviewAnswer {
  version: string;
  stills: Still[];
  contact_sheet_png_base64: string;
  ms: number;
}

export function TemplateScreen(p: { id: string }) {
  const [t, setT] = useState<TemplateSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [renders, setRenders] = useState<Render[] | null>(null);
  const load = async () => {
    try {
      setT(await api<TemplateSummary>('GET', `/v1/templates/${p.id}`));
    } catch (e) {
      setError(e);
    }
  };
  const loadRenders = async () => {
    try {
      setRenders((await api<{ items: Render[] }>('GET', `/v1/renders?template=${encodeURIComponent(p.id)}&limit=20`)).items);
    } catch (e) {
      setRenders(null);
      setError(e);
    }
  };
  useEffect(() => {
    void load();
    void loadRenders();
  }, [p.id]);
  if (error) return <ErrorBox error={error} />;
  if (!t) return <p>{L('読み込み中…', 'Loading…')}</p>;
  return (
    <>
      <p>
        <a href="#/templates">← {L('テンプレート一覧', 'All templates')}</a>
      </p>
      <h1>{t.name}</h1>
      <p class="sub">
        <code>{t.id}</code> · {L('公開中', 'active')} <code>{t.version}</code> · {t.width}×{t.height} · {seconds(t.duration)} · {t.fps} fps
      </p>
      {t.description && <p>{t.description}</p>}
      <PreviewAndTry t={t} onRendered={loadRenders} />
      <Versions t={t} renders={Array.isArray(renders) ? renders : []} onChange={load} />
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">{L('このテンプレートの最近の動画', 'Recent renders of this template')}</h2>
        <RenderList renders={renders ?? []} />
      </section>
    </>
  );
}

type Source = 'example' | 'worst' | 'form';

function PreviewAndTry(p: { t: TemplateSummary; onRendered: () => void }) {
  const { t } = p;
  const [data, setData] = useState<Record<string, unknown>>(() => ({ ...t.example }));
  const [source, setSource] = useState<Source>('example');
  const [preview, setPreview] = useState<PreviewAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [still, setStill] = useState<Still | null>(null);
  const [render, setRender] = useState<Render | null>(null);

  const show = async (src: Source) => {
    setSource(src);
    setBusy(true);
    setError(null);
    try {
      const body = src === 'example' ? { example: true } : src === 'worst' ? { worst: true } : { data: formData(t.fields, data) };
      setPreview(await api<PreviewAnswer>('POST', `/v1/templates/${t.id}/preview`, body));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void show('example');
  }, [t.version]);

  const make = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api<Render>('POST', '/v1/renders', { template: t.id, data: formData(t.fields, data), mode: 'eager' });
      setRender(r);
      p.onRendered();
    } catch (err) {
      setError(err);
    }
  };

  const label = { example: L('例のデータ', 'example data'), worst: L('最悪ケースのデータ', 'worst-case data'), form: L('フォームのデータ', 'form data') }[source];
  return (
    <>
      <section aria-labelledby="preview-title">
        <h2 id="preview-title">{L('プレビュー', 'Preview')}</h2>
        <div class="toolbar" role="group" aria-label={L('プレビューのデータ', 'Preview data')}>
          <button type="button" aria-pressed={source === 'example'} onClick={() => show('example')} disabled={busy}>
            {L('例のデータで見る', 'With example data')}
          </button>
          <button type="button" aria-pressed={source === 'worst'} onClick={() => show('worst')} disabled={busy}>
            {L('最悪ケースで見る', 'Worst case')}
          </button>
        </div>
        <div class="preview-grid">
          <form class="fields" onSubmit={make} aria-labelledby="form-title">
            <h3 id="form-title">{L('データを入力', 'Enter data')}</h3>
            {Object.entries(t.fields).map(([name, spec]) => (
              <FieldInput name={name} spec={spec} value={data[name]} onChange={(v) => setData({ ...data, [name]: v })} />
            ))}
            <div class="actions">
              <button type="button" class="secondary" onClick={() => show('form')} disabled={busy}>
                {L('このデータでプレビュー', 'Preview this data')}
              </button>
              <button type="submit">{L('この内容で動画を作る', 'Make a video with this')}</button>
            </div>
          </form>
          <div class="sheet" aria-busy={busy}>
            <ErrorBox error={error} />
            {preview && (
              <>
                <h3>
                  {L('コンタクトシート', 'Contact sheet')} — {label}
                </h3>
                <img class="contact-sheet" src={`data:image/png;base64,${preview.contact_sheet_png_base64}`} alt={`${L('コンタクトシート', 'Contact sheet')} (${label})`} />
                <h3>{L('レイヤーごとの静止画（クリックで原寸）', 'Each layer (click for full size)')}</h3>
                <ul class="stills">
                  {preview.stills.map((s) => (
                    <li>
                      <button type="button" class="still" onClick={() => setStill(s)}>
                        <img src={`data:image/png;base64,${s.png_base64}`} alt="" />
                        <span>
                          {s.layer} · {seconds(s.time)}
                        </span>
                      </button>
                      {s.warnings?.map((w) => (
                        <p class="warning">{w}</p>
                      ))}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        </div>
        <Dialog title={still ? `${L('レイヤー', 'Layer')} ${still.layer} · ${seconds(still.time)}` : ''} open={!!still} onClose={() => setStill(null)} wide>
          {still && <img class="full" src={`data:image/png;base64,${still.png_base64}`} alt={`${L('レイヤー', 'Layer')} ${still.layer}`} />}
          <div class="actions">
            <button type="button" onClick={() => setStill(null)}>
              {L('閉じる', 'Close')}
            </button>
          </div>
        </Dialog>
      </section>
      {render && <TryIt render={render} />}
    </>
  );
}

/** The form's values as the API wants them: numbers as numbers, empty optional fields left out, arrays parsed from JSON. */
function formData(fields: Record<string, FieldSpec>, data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    const v = data[name];
    if (v === undefined || v === '') continue;
    if ((spec.type === 'integer' || spec.type === 'number') && typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) out[name] = Number(v);
    else if (spec.type === 'array' && typeof v === 'string') {
      try {
        out[name] = JSON.parse(v);
      } catch {
        out[name] = v; // the API names the field and what is wrong
      }
    } else out[name] = v;
  }
  return out;
}

function FieldInput(p: { name: string; spec: FieldSpec; value: unknown; onChange: (v: unknown) => void }) {
  const { name, spec } = p;
  const id = `field-${name}`;
  const limits = [
    spec.required ? L('必須', 'required') : L('任意', 'optional'),
    spec.maxLength !== undefined ? L(`${spec.maxLength}文字まで`, `up to ${spec.maxLength} characters`) : '',
    spec.minimum !== undefined ? `≥ ${spec.minimum}` : '',
    spec.maximum !== undefined ? `≤ ${spec.maximum}` : '',
    spec.maxItems !== undefined ? L(`${spec.maxItems}件まで`, `up to ${spec.maxItems} items`) : '',
    spec.type === 'array' ? 'JSON' : '',
  ].filter(Boolean);
  const help = (
    <p class="help" id={`${id}-help`}>
      {spec.description ? `${spec.description} — ` : ''}
      {spec.type} · {limits.join(' · ')}
    </p>
  );
  let input;
  if (spec.enum)
    input = (
      <select id={id} required={spec.required} aria-describedby={`${id}-help`} value={String(p.value ?? '')} onChange={(e) => p.onChange(e.currentTarget.value)}>
        {!spec.required && <option value="">—</option>}
        {spec.enum.map((v) => (
          <option value={String(v)}>{String(v)}</option>
        ))}
      </select>
    );
  else if (spec.type === 'boolean')
    return (
      <div class="field check">
        <input id={id} type="checkbox" checked={p.value === true} aria-describedby={`${id}-help`} onChange={(e) => p.onChange(e.currentTarget.checked)} />
        <label for={id}>{name}</label>
        {help}
      </div>
    );
  else if (spec.type === 'array')
    input = (
      <textarea id={id} rows={4} aria-describedby={`${id}-help`} value={typeof p.value === 'string' ? p.value : JSON.stringify(p.value ?? [])} onInput={(e) => p.onChange(e.currentTarget.value)} />
    );
  else if (spec.type === 'string')
    input = (
      <input id={id} type="text" required={spec.required} maxLength={spec.maxLength} aria-describedby={`${id}-help`} value={p.value === undefined ? '' : String(p.value)} onInput={(e) => p.onChange(e.currentTarget.value)} />
    );
  else
    input = (
      <input
        id={id}
        type="number"
        step={spec.type === 'number' ? 'any' : '1'}
        required={spec.required}
        min={spec.minimum}
        max={spec.maximum}
        aria-describedby={`${id}-help`}
        value={p.value === undefined ? '' : String(p.value)}
        onInput={(e) => p.onChange(e.currentTarget.value)}
      />
    );
  return (
    <div class="field">
      <label for={id}>{name}</label>
      {input}
      {help}
    </div>
  );
}

/** A render made from the form: its progress, then the video in the page, its poster, MP4 and watch links. */
function TryIt(p: { render: Render }) {
  const [r, setR] = useState<Render>(p.render);
  useEffect(() => {
    setR(p.render);
    let stop = false;
    void (async () => {
      for (;;) {
        const cur = await api<Render>('GET', `/v1/renders/${p.render.id}`).catch(() => null);
        if (stop) return;
        if (cur) setR(cur);
        if (cur && (cur.state === 'done' || cur.state === 'failed')) return;
        await new Promise((res) => setTimeout(res, 700));
      }
    })();
    return () => {
      stop = true;
    };
  }, [p.render.id]);
  return (
    <section aria-labelledby="try-title" class="try">
      <h2 id="try-title">{L('試しに作った動画', 'Your test video')}</h2>
      <RenderProgress render={r} />
      {r.state === 'done' && (
        <div class="try-grid">
          <Player src={r.playlist_url} poster={r.poster_url} />
          <div>
            {r.poster_url && (
              <figure>
                <img src={r.poster_url} alt={L('ポスター画像', 'Poster')} class="poster" />
                <figcaption>{L('ポスター画像', 'Poster')}</figcaption>
              </figure>
            )}
            <ul class="links">
              <li>
                <a href={r.player_url} target="_blank" rel="noopener">
                  {L('視聴ページを開く', 'Open the watch page')}
                </a>
              </li>
              {r.mp4_url && (
                <li>
                  <a href={r.mp4_url} download>
                    {L('MP4 をダウンロード', 'Download the MP4')}
                  </a>
                </li>
              )}
            </ul>
          </div>
        </div>
      )}
    </section>
  );
}

function Versions(p: { t: TemplateSummary; renders: Render[]; onChange: () => void }) {
  const [versions, setVersions] = useState<VersionInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [ask, setAsk] = useState<{ kind: 'activate' | 'rollback'; version?: string } | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const load = async () => {
    try {
      setVersions((await api<{ versions: VersionInfo[] }>('GET', `/v1/templates/${p.t.id}/versions`)).versions);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, [p.t.version]);
  const confirm = async () => {
    const a = ask;
    setAsk(null);
    if (!a) return;
    setError(null);
    try {
      if (a.kind === 'activate') await api('POST', `/v1/templates/${p.t.id}/activate`, { version: a.version });
      else await api('POST', `/v1/templates/${p.t.id}/rollback`);
      p.onChange();
      await load();
    } catch (e) {
      setError(e);
    }
  };
  const used = (v: string) => p.renders.filter((r) => r.version === v).length;
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">{L('バージョン', 'Versions')}</h2>
      <ErrorBox error={error} />
      <div class="toolbar">
        <button type="button" class="secondary" onClick={() => setAsk({ kind: 'rollback' })} disabled={!versions || versions.filter((v) => v.state === 'ready').length < 2}>
          {L('ひとつ前のバージョンに戻す', 'Roll back to the previous version')}
        </button>
      </div>
      <div class="table-wrap">
        <table>
          <caption class="sr-only">{L('バージョン', 'Versions')}</caption>
          <thead>
            <tr>
              <th scope="col">{L('バージョン', 'Version')}</th>
              <th scope="col">{L('アップロード', 'Uploaded')}</th>
              <th scope="col">{L('状態', 'State')}</th>
              <th scope="col">{L('最近の動画', 'Recent renders')}</th>
              <th scope="col">{L('操作', 'Actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(versions ?? []).map((v) => (
              <tr data-version={v.version}>
                <th scope="row">
                  <code>{v.version}</code>
                  {v.active && <span class="badge active">{L('公開中', 'active')}</span>}
                </th>
                <td>
                  {formatDate(v.createdAt)}
                  <div class="sub">{v.uploaded_by ? v.uploaded_by.name : v.source === 'bundled' ? L('同梱', 'bundled') : L('アップロード', 'upload')}</div>
                </td>
                <td>
                  <StateBadge state={v.state} />
                  {v.problems && v.problems.length > 0 && (
                    <button type="button" class="link" aria-expanded={shown === v.version} onClick={() => setShown(shown === v.version ? null : v.version)}>
                      {L(`問題 ${v.problems.length} 件`, `${v.problems.length} problem(s)`)}
                    </button>
                  )}
                  {shown === v.version && v.problems && <ProblemList problems={v.problems} />}
                </td>
                <td>{used(v.version)}</td>
                <td>
                  {v.state === 'ready' && !v.active && (
                    <button type="button" onClick={() => setAsk({ kind: 'activate', version: v.version })}>
                      {L('公開する', 'Activate')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Confirm
        open={!!ask}
        title={ask?.kind === 'rollback' ? L('前のバージョンに戻しますか？', 'Roll back?') : L('このバージョンを公開しますか？', 'Activate this version?')}
        body={
          ask?.kind === 'rollback'
            ? L('新しく作る動画は、ひとつ前に公開していたバージョンを使います。すでに配った動画のリンクは変わりません。', 'New renders will use the previously active version. Links already handed out do not change.')
            : L(`新しく作る動画は ${ask?.version ?? ''} を使います。すでに配った動画のリンクは変わりません。`, `New renders will use ${ask?.version ?? ''}. Links already handed out do not change.`)
        }
        ok={ask?.kind === 'rollback' ? L('戻す', 'Roll back') : L('公開する', 'Activate')}
        onOk={confirm}
        onCancel={() => setAsk(null)}
      />
    </section>
  );
}
