// Campaign CSV throughput: a 100,000-row Shift_JIS (CP932) CSV, as Excel in Japan
// saves it, through POST /v1/batches until its result CSV is downloaded complete.
//   npm run build && npx tsx bench/batch.ts [--rows 100000] [--workers 1]
// Target (issue 9): ≤ 60 s on 2 cores, API peak RSS ≤ 200 MB. Lazy mode: accepting
// renders nothing, so this measures reading, mapping, accepting and writing.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import iconv from 'iconv-lite';
import { campaignFields, writeTinyTemplate } from '../test/helpers/tiny-template.ts';
import { peakRssMb, startKasane, treeRssSampler } from './lib/procs.ts';
import { round, sleep } from './lib/stats.ts';

const { values: o } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, workers: { type: 'string', default: '1' } } });
const ROWS = Number(o.rows);
const varDir = path.join(os.tmpdir(), `kasane-batch-bench-${process.pid}`);
mkdirSync(varDir, { recursive: true });
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const env = { PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, KASANE_VAR_DIR: varDir, KASANE_STORAGE_DIR: path.join(varDir, 'storage'), LOG_LEVEL: 'warn' };

/** A small template with what campaign rows carry: a name, an amount, product cards. */
async function templateZip(): Promise<Buffer> {
  const dir = await writeTinyTemplate(path.join(varDir, 'tpl'), {
    id: 'bench-batch', name: 'batch bench', size: '640x360', seconds: 6, fields: campaignFields(30),
    layers: [
      { id: 'hello', type: 'text', start: 1, end: 3, box: { x: 20, y: 100, width: 600, height: 60 }, text: '{{name}} 様 {{amount}}円', style: { fontSize: 32, color: '#ffffff' } },
      { id: 'later', type: 'text', start: 4, end: 5, box: { x: 20, y: 200, width: 600, height: 60 }, text: 'またね {{name}} 様', style: { fontSize: 32, color: '#ffffff' } },
    ],
  });
  const { zipFiles } = await import('../src/templates/package/zip-writer.ts');
  return zipFiles(['template.json', 'clip.mp4'].map((name) => ({ name, data: readFileSync(path.join(dir, name)) })));
}

/** Excel-like rows: family and given name apart, amounts with full-width digits and commas, skus. */
function csv(rows: number): Buffer {
  const family = ['山田', '佐藤', '鈴木', '髙橋', '田中', '渡辺'];
  const given = ['太郎', '花子', '一郎', '美咲', '健太', '陽菜'];
  const lines = ['顧客ID,姓,名,金額,商品'];
  for (let i = 0; i < rows; i++) {
    const amount = (1000 + (i % 5000) * 7).toLocaleString('en-US').replace(/[0-9,]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    lines.push(`C${String(i).padStart(7, '0')},${family[i % 6]},${given[(i >> 3) % 6]},"${amount}",${i % 10 === 0 ? 'A1;A2' : 'A1'}`);
  }
  return iconv.encode(lines.join('\r\n') + '\r\n', 'cp932');
}

const api = startKasane('api', env);
const workers: Array<ReturnType<typeof startKasane>> = [];
try {
  while (!(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) await sleep(100);
  for (let i = 0; i < Number(o.workers); i++) workers.push(startKasane('worker', { ...env, KASANE_WORKER_CONCURRENCY: '1' }));
  const auth = { authorization: `Bearer ${readFileSync(path.join(varDir, 'api-key'), 'utf8').trim()}` };
  const form = new FormData();
  form.append('package', new Blob([new Uint8Array(await templateZip())]), 'p.zip');
  const up = await fetch(`${base}/v1/templates?wait=true`, { method: 'POST', headers: auth, body: form });
  if (!up.ok) throw new Error(await up.text());
  const cat = await fetch(`${base}/v1/templates/bench-batch/catalog`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify([{ sku: 'A1', name: 'グリーンプラン', price: 2980 }, { sku: 'A2', name: 'ブループラン', price: 3980 }]) });
  if (!cat.ok) throw new Error(await cat.text());
  const file = csv(ROWS);
  const rssBefore = peakRssMb(api.pid);
  const workerRss = treeRssSampler(workers[0]!.pid);
  const t0 = performance.now();
  const batchForm = new FormData();
  batchForm.append('mapping', JSON.stringify({ template: 'bench-batch', contact: '顧客ID', mapping: { name: { join: ['姓', '名'] }, amount: '金額', items: { skus: '商品' } } }));
  batchForm.append('file', new Blob([new Uint8Array(file)], { type: 'text/csv' }), 'segment.csv');
  const post = await fetch(`${base}/v1/batches`, { method: 'POST', headers: auth, body: batchForm });
  const created = (await post.json()) as { id: string; rows: number };
  if (post.status !== 202) throw new Error(JSON.stringify(created));
  const tAccepted = performance.now();
  let state: { state: string; processed: number; failed: number };
  let lastPrint = 0;
  for (;;) {
    state = (await (await fetch(`${base}/v1/batches/${created.id}`, { headers: auth })).json()) as typeof state;
    if (state.state === 'done' || state.state === 'failed') break;
    if (performance.now() - lastPrint > 5000) {
      lastPrint = performance.now();
      console.error(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${state.state} ${state.processed}/${ROWS}`);
    }
    await sleep(200);
  }
  const res = await fetch(`${base}/v1/batches/${created.id}/result.csv`, { headers: auth });
  const out = Buffer.from(await res.arrayBuffer());
  const t1 = performance.now();
  const lines = iconv.decode(out, 'cp932').split(/\r?\n/).filter(Boolean).length - 1;
  console.log(JSON.stringify({
    rows: ROWS,
    csvMb: round(file.length / 1e6, 1),
    state: state.state,
    failedRows: state.failed,
    resultRows: lines,
    uploadCheckedS: round((tAccepted - t0) / 1000, 2),
    totalS: round((t1 - t0) / 1000, 1),
    rowsPerS: Math.round(ROWS / ((t1 - t0) / 1000)),
    apiPeakMb: round(peakRssMb(api.pid), 0),
    apiPeakBeforeMb: round(rssBefore, 0),
    workerPeakMb: round(workerRss.stop(), 0),
  }));
} finally {
  for (const w of workers) await w.stop();
  await api.stop();
  rmSync(varDir, { recursive: true, force: true });
}
