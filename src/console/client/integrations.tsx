// What the MA side uses: connectors, webhook endpoints with their delivery logs,
// and campaign CSV uploads with their progress and result CSV.
import { useEffect, useState } from 'preact/hooks';
import { api, download, postForm, sleep } from './api.ts';
import { formatDate, L } from './i18n.ts';
import { ErrorBox, Progress, StateBadge } from './ui.tsx';

interface Connector {
  id: string;
  kind: string;
  name: string;
  template: string;
  hook_url?: string;
  updated_at?: string;
}
interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
  description: string | null;
}
interface Delivery {
  id?: string;
  event_type?: string;
  type?: string;
  status?: number | null;
  at?: string;
  attempted_at?: string;
  ok?: boolean;
  error?: string | null;
}
interface Batch {
  id: string;
  state: string;
  template?: string;
  rows: number;
  processed: number;
  done: number;
  failed: number;
  error?: string;
}

export function IntegrationsScreen() {
  return (
    <>
      <h1>{L('連携', 'Integrations')}</h1>
      <Batches />
      <Connectors />
      <Endpoints />
    </>
  );
}

function Connectors() {
  const [list, setList] = useState<Connector[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ connectors: Connector[] }>('GET', '/v1/connectors').then((r) => setList(r.connectors), setError);
  }, []);
  return (
    <section aria-labelledby="connectors-title">
      <h2 id="connectors-title">{L('コネクター', 'Connectors')}</h2>
      <ErrorBox error={error} />
      {list && list.length === 0 && <p class="sub">{L('コネクターはまだありません（POST /v1/connectors で作れます）。', 'No connectors yet (create them with POST /v1/connectors).')}</p>}
      {list && list.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{L('名前', 'Name')}</th>
                <th scope="col">{L('種類', 'Kind')}</th>
                <th scope="col">{L('テンプレート', 'Template')}</th>
                <th scope="col">{L('フック URL', 'Hook URL')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr>
                  <th scope="row">{c.name}</th>
                  <td>{c.kind}</td>
                  <td>{c.template}</td>
                  <td>
                    <code>{c.hook_url ?? c.id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Endpoints() {
  const [list, setList] = useState<Endpoint[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [log, setLog] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ endpoints: Endpoint[] }>('GET', '/v1/webhook-endpoints').then((r) => setList(r.endpoints), setError);
  }, []);
  const show = async (id: string) => {
    if (open === id) return setOpen(null);
    setOpen(id);
    setLog(null);
    try {
      setLog((await api<{ deliveries: Delivery[] }>('GET', `/v1/webhook-endpoints/${id}/deliveries?limit=20`)).deliveries);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="endpoints-title">
      <h2 id="endpoints-title">{L('Webhook の送信先', 'Webhook endpoints')}</h2>
      <ErrorBox error={error} />
      {list && list.length === 0 && <p class="sub">{L('送信先はまだありません（POST /v1/webhook-endpoints で作れます）。', 'No endpoints yet (create them with POST /v1/webhook-endpoints).')}</p>}
      {list?.map((e) => (
        <div class="card">
          <p>
            <code>{e.url}</code> {e.enabled ? <span class="badge ready">{L('有効', 'enabled')}</span> : <span class="badge failed">{L('停止中', 'disabled')}</span>}
          </p>
          <p class="sub">
            {e.events.join(', ')}
            {e.failing_since && ` · ${L('失敗が続いています: ', 'failing since ')}${formatDate(e.failing_since)}`}
            {e.disabled_reason && ` · ${e.disabled_reason}`}
          </p>
          <button type="button" class="link" aria-expanded={open === e.id} onClick={() => show(e.id)}>
            {L('送信ログ', 'Delivery log')}
          </button>
          {open === e.id && log && (
            <ul class="log">
              {log.length === 0 && <li>{L('まだ送信していません。', 'Nothing sent yet.')}</li>}
              {log.map((d) => (
                <li>
                  {formatDate(d.attempted_at ?? d.at)} · {d.event_type ?? d.type ?? ''} · {d.status ?? '—'} {d.error ? `· ${d.error}` : ''}
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </section>
  );
}

const MAPPING_EXAMPLE = '{\n  "template": "",\n  "contact": "顧客ID",\n  "mapping": {}\n}';

function Batches() {
  const [file, setFile] = useState<File | null>(null);
  const [mapping, setMapping] = useState(MAPPING_EXAMPLE);
  const [sent, setSent] = useState<{ sent: number; total: number } | null>(null);
  const [batch, setBatch] = useState<Batch | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setBatch(null);
    const form = new FormData();
    form.append('mapping', mapping);
    form.append('file', file, file.name);
    try {
      let b = await postForm<Batch>('/v1/batches', form, (s, t) => setSent({ sent: s, total: t }));
      setSent(null);
      setBatch(b);
      while (b.state === 'queued' || b.state === 'running') {
        await sleep(1000);
        b = await api<Batch>('GET', `/v1/batches/${b.id}`);
        setBatch(b);
      }
    } catch (err) {
      setSent(null);
      setError(err);
    }
  };
  return (
    <section aria-labelledby="batches-title">
      <h2 id="batches-title">{L('キャンペーン CSV', 'Campaign CSV')}</h2>
      <form onSubmit={submit} class="batch-form">
        <div class="field">
          <label for="csv">{L('CSV ファイル', 'CSV file')}</label>
          <input id="csv" type="file" accept=".csv,text/csv" required onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
        </div>
        <div class="field">
          <label for="mapping">{L('対応付け（JSON、docs/batches.md 参照）', 'Mapping (JSON, see docs/batches.md)')}</label>
          <textarea id="mapping" rows={6} value={mapping} onInput={(e) => setMapping(e.currentTarget.value)} />
        </div>
        <button type="submit">{L('アップロードして開始', 'Upload and start')}</button>
      </form>
      <div aria-live="polite">
        {sent && <Progress value={sent.sent} max={sent.total || 1} label={L('アップロード中', 'Uploading')} />}
        {batch && (
          <div class="card">
            <p>
              <code>{batch.id}</code> <StateBadge state={batch.state} />
            </p>
            <Progress value={batch.processed} max={batch.rows || 1} label={L(`${batch.processed}/${batch.rows} 行（成功 ${batch.done}、エラー ${batch.failed}）`, `${batch.processed}/${batch.rows} rows (${batch.done} ok, ${batch.failed} errors)`)} />
            {batch.error && <p class="error">{batch.error}</p>}
            {batch.state === 'done' && (
              <button type="button" onClick={() => download(`/v1/batches/${batch.id}/result.csv`, `${batch.id}.csv`).catch(setError)}>
                {L('結果の CSV をダウンロード', 'Download the result CSV')}
              </button>
            )}
          </div>
        )}
        <ErrorBox error={error} />
      </div>
    </section>
  );
}
