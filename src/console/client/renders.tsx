// Recent renders: search by external_id (or open one by its id), state, progress
// per personalized segment, and the failure reason.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { formatDate, L } from './i18n.ts';
import type { Render } from './types.ts';
import { ErrorBox, Progress, StateBadge } from './ui.tsx';

export function RenderProgress(p: { render: Render }) {
  const r = p.render;
  const dyn = (r.segments ?? []).filter((s) => s.kind === 'dynamic');
  return (
    <div class="render-progress">
      <p>
        <StateBadge state={r.state} /> <code>{r.id}</code> · <code>{r.version}</code>
        {r.external_id && <> · {r.external_id}</>}
      </p>
      {r.progress && r.progress.total > 0 && <Progress value={r.progress.ready} max={r.progress.total} label={L(`個人化セグメント ${r.progress.ready}/${r.progress.total}`, `Personalized segments ${r.progress.ready}/${r.progress.total}`)} />}
      {dyn.length > 0 && (
        <ol class="segments" aria-label={L('セグメントごとの状態', 'Each segment')}>
          {dyn.map((s) => (
            <li class={s.state} title={`#${s.index}: ${s.state}`}>
              <span class="sr-only">
                #{s.index} {s.state}
              </span>
            </li>
          ))}
        </ol>
      )}
      {r.error && (
        <p class="error" role="alert">
          {L('失敗の理由: ', 'Why it failed: ')}
          {r.error}
        </p>
      )}
    </div>
  );
}

export function RenderList(p: { renders: Render[] }) {
  const [open, setOpen] = useState<string | null>(null);
  if (!p.renders.length) return <p class="sub">{L('まだありません。', 'None yet.')}</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{L('最近の動画', 'Recent renders')}</caption>
        <thead>
          <tr>
            <th scope="col">{L('作成日時', 'Created')}</th>
            <th scope="col">external_id</th>
            <th scope="col">{L('テンプレート / バージョン', 'Template / version')}</th>
            <th scope="col">{L('状態', 'State')}</th>
            <th scope="col">{L('進み具合', 'Progress')}</th>
          </tr>
        </thead>
        <tbody>
          {p.renders.map((r) => (
            <>
              <tr>
                <td>{formatDate(r.created_at)}</td>
                <td>{r.external_id ?? '—'}</td>
                <td>
                  {r.template} <code>{r.version}</code>
                </td>
                <td>
                  <StateBadge state={r.state} />
                  {r.error && <div class="sub">{r.error}</div>}
                </td>
                <td>
                  {r.progress ? `${r.progress.ready}/${r.progress.total}` : '—'}{' '}
                  <button type="button" class="link" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
                    {L('詳細', 'Details')}
                  </button>
                </td>
              </tr>
              {open === r.id && (
                <tr>
                  <td colSpan={5}>
                    <RenderDetail id={r.id} />
                  </td>
                </tr>
              )}
            </>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RenderDetail(p: { id: string }) {
  const [r, setR] = useState<Render | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Render>('GET', `/v1/renders/${p.id}`).then(setR, setError);
  }, [p.id]);
  if (error) return <ErrorBox error={error} />;
  if (!r) return <p>{L('読み込み中…', 'Loading…')}</p>;
  return (
    <>
      <RenderProgress render={r} />
      <a href={r.player_url} target="_blank" rel="noopener">
        {L('視聴ページ', 'Watch page')}
      </a>
    </>
  );
}

export function RendersScreen() {
  const [externalId, setExternalId] = useState('');
  const [renderId, setRenderId] = useState('');
  const [list, setList] = useState<Render[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = async (e?: Event) => {
    e?.preventDefault();
    setError(null);
    try {
      const q = new URLSearchParams({ limit: '50' });
      if (externalId.trim()) q.set('external_id', externalId.trim());
      setList((await api<{ items: Render[] }>('GET', `/v1/renders?${q}`)).items);
    } catch (err) {
      setError(err);
    }
  };
  const byId = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setList([await api<Render>('GET', `/v1/renders/${encodeURIComponent(renderId.trim())}`)]);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void search();
  }, []);
  return (
    <>
      <h1>{L('最近の動画', 'Recent renders')}</h1>
      <div class="search-forms">
        <form onSubmit={search} role="search">
          <label for="ext">{L('external_id で検索', 'Search by external_id')}</label>
          <div class="row">
            <input id="ext" type="search" value={externalId} onInput={(e) => setExternalId(e.currentTarget.value)} />
            <button type="submit">{L('検索', 'Search')}</button>
          </div>
        </form>
        <form onSubmit={byId}>
          <label for="rid">{L('動画 ID で開く', 'Open by render id')}</label>
          <div class="row">
            <input id="rid" type="text" required value={renderId} onInput={(e) => setRenderId(e.currentTarget.value)} />
            <button type="submit">{L('開く', 'Open')}</button>
          </div>
        </form>
      </div>
      <ErrorBox error={error} />
      {list && <RenderList renders={list} />}
    </>
  );
}
