// Campaign CSV batches: a Shift_JIS file as Excel saves it (names in two
// columns, full-width numbers, a bad row, an unknown sku) in, a CSV of links
// out, in the same encoding and the same row order. Lazy mode: nothing is
// encoded, so the test stays fast; the links must still play.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { startTestService, API_KEY, type TestService } from './helpers/service.ts';
import { campaignFields, writeTinyTemplate } from './helpers/tiny-template.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-batches-'));
let t: TestService;

before(async () => {
  await writeTinyTemplate(path.join(root, 'templates'), {
    id: 'camp', name: 'campaign test', fields: campaignFields(20),
    layers: [{ id: 'hello', type: 'text', start: 1, end: 2, box: { x: 10, y: 60, width: 300, height: 50 }, text: '{{name}} 様 {{amount}}円', style: { fontSize: 24, color: '#ffffff' } }],
  });
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'templates'), KASANE_STORAGE_DIR: path.join(root, 'storage') } });
  await t.svc.prepareBundled();
  const cat = await t.api('PUT', '/v1/templates/camp/catalog', [{ sku: 'A1', name: 'グリーンプラン', price: 2980 }, { sku: 'A2', name: 'ブループラン', price: 3980 }]);
  assert.equal(cat.status < 300, true, JSON.stringify(cat.body));
});

after(async () => {
  await t?.close();
  rmSync(root, { recursive: true, force: true });
});

const MAPPING = { template: 'camp', contact: '顧客ID', mapping: { name: { join: ['姓', '名'] }, amount: '金額', items: { skus: '商品' } } };
const ROWS = [
  ['顧客ID', '姓', '名', '金額', '商品'],
  ['c1', '山田', '太郎', '１２５,０００', 'A1'],
  ['c2', '佐藤', '花子', 'たくさん', 'A1'], // not a number
  ['c3', '鈴木', '次郎', '３００', 'A2;ZZ9'], // one unknown sku: rendered, with a warning
  ['c4', '', '', '100', 'A1'], // no name at all
  ['c5', '田中', '一郎', '500', 'A1;A2'],
];
const csvText = (rows: string[][]) => rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n';

async function postBatch(csv: Buffer, mapping: unknown = MAPPING) {
  const form = new FormData();
  form.append('mapping', JSON.stringify(mapping));
  form.append('file', new Blob([new Uint8Array(csv)], { type: 'text/csv' }), 'segment.csv');
  const res = await fetch(`${t.url}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
  return { status: res.status, body: (await res.json()) as any };
}

async function waitDone(id: string, seen: any[] = []): Promise<any> {
  const end = Date.now() + 60_000;
  for (;;) {
    const b = (await t.api('GET', `/v1/batches/${id}`)).body;
    seen.push(b);
    if (b.state === 'done' || b.state === 'failed') return b;
    if (Date.now() > end) throw new Error(`batch ${id} still ${b.state}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function result(id: string): Promise<{ bytes: Buffer; type: string | null }> {
  const res = await fetch(`${t.url}/v1/batches/${id}/result.csv`, { headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(res.status, 200);
  return { bytes: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
}

const renderIds: string[] = [];

test('a Shift_JIS CSV: every row back in order and in Shift_JIS, bad rows with row, column and reason, good rows with links that play', async () => {
  const up = await postBatch(iconv.encode(csvText(ROWS), 'cp932'));
  assert.equal(up.status, 202, JSON.stringify(up.body));
  assert.equal(up.body.rows, 5);
  assert.equal(up.body.encoding, 'cp932');
  const b = await waitDone(up.body.id);
  assert.equal(b.state, 'done', JSON.stringify(b));
  assert.deepEqual([b.processed, b.done, b.failed, b.warned], [5, 3, 2, 1]);
  assert.ok(b.started_at && b.finished_at);
  const { bytes, type } = await result(up.body.id);
  assert.match(type!, /shift_jis/);
  assert.ok(!iconv.decode(bytes, 'utf8').includes('山田'), 'not UTF-8');
  const out: string[][] = parse(iconv.decode(bytes, 'cp932'));
  assert.deepEqual(out[0], [...ROWS[0]!, 'watch_url', 'poster_url', 'status', 'render_id', 'error_row', 'error_column', 'error_reason']);
  assert.equal(out.length, ROWS.length);
  const col = (r: string[], name: string) => r[out[0]!.indexOf(name)]!;
  for (const [i, r] of out.slice(1).entries()) assert.deepEqual(r.slice(0, 5), ROWS[i + 1], 'original cells, in order');
  const [c1, c2, c3, c4, c5] = out.slice(1) as string[][];
  assert.deepEqual([c2, c4].map((r) => [col(r!, 'status'), col(r!, 'error_row'), col(r!, 'error_column'), col(r!, 'watch_url')]), [['error', '2', '金額', ''], ['error', '4', '姓 + 名', '']]);
  assert.match(col(c2!, 'error_reason'), /金額: .*integer|number/);
  assert.match(col(c4!, 'error_reason'), /required/);
  assert.equal(col(c3!, 'status'), 'warning');
  assert.equal(col(c3!, 'error_column'), '商品');
  assert.match(col(c3!, 'error_reason'), /1 sku\(s\) not in the catalog.*ZZ9/);
  for (const r of [c1, c3, c5] as string[][]) {
    assert.match(col(r, 'status'), /ok|warning/);
    assert.equal(col(r, 'poster_url'), col(r, 'watch_url') + 'poster.jpg');
    renderIds.push(col(r, 'render_id'));
    const pl = await fetch(col(r, 'watch_url') + 'index.m3u8');
    assert.equal(pl.status, 200);
    assert.match(await pl.text(), /#EXTM3U/);
  }
  // The contact column is the render's identity (so a re-run answers the same render).
  const rec = (await t.api('GET', `/v1/renders/${col(c1!, 'render_id')}`)).body;
  assert.equal(rec.external_id, 'csv:c1');
});

test('the same CSV again answers the same renders; UTF-8 with a BOM too, and its result has a BOM', async () => {
  const again = await postBatch(iconv.encode(csvText(ROWS), 'cp932'));
  assert.equal(again.status, 202);
  await waitDone(again.body.id);
  const ids = (r: Buffer, enc: string) => { const o: string[][] = parse(iconv.decode(r, enc)); return o.slice(1).map((x) => x[o[0]!.indexOf('render_id')]!).filter(Boolean); };
  assert.deepEqual(ids((await result(again.body.id)).bytes, 'cp932'), renderIds);
  const utf = await postBatch(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvText(ROWS))]));
  assert.equal(utf.status, 202, JSON.stringify(utf.body));
  assert.equal(utf.body.encoding, 'utf-8');
  await waitDone(utf.body.id);
  const r = await result(utf.body.id);
  assert.match(r.type!, /utf-8/);
  assert.deepEqual([...r.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.deepEqual(ids(r.bytes, 'utf8'), renderIds, 'same people, same renders, whatever the encoding');
});

test('progress is visible while a batch runs, and the result is a 409 until it is done', async () => {
  const rows = [ROWS[0]!, ...Array.from({ length: 4000 }, (_, i) => [`p${i}`, '山田', `${i}`, String(i), 'A1'])];
  const up = await postBatch(iconv.encode(csvText(rows), 'cp932'));
  assert.equal(up.status, 202);
  const early = await fetch(`${t.url}/v1/batches/${up.body.id}/result.csv`, { headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(early.status, 409);
  assert.match(early.headers.get('x-batch-state')!, /queued|running/);
  const seen: any[] = [];
  const b = await waitDone(up.body.id, seen);
  assert.equal(b.done, 4000);
  assert.ok(seen.some((s) => s.state === 'running' && s.processed > 0 && s.processed < 4000), `progress seen: ${seen.map((s) => `${s.state}:${s.processed}`).join(' ')}`);
});

test('a broken quote is a 422 naming the data row; a mapped column the header lacks is a 422 before any row runs', async () => {
  const broken = await postBatch(Buffer.from('顧客ID,姓,名,金額,商品\r\nc1,山田,太郎,1,A1\r\nc2,"佐藤,花子,2,A1\r\nc3,鈴木,一郎,3,A1\r\n'));
  assert.equal(broken.status, 422);
  assert.equal(broken.body.error.code, 'invalid_csv');
  assert.match(broken.body.error.problems[0].pointer, /^csv:row 2$/);
  assert.match(broken.body.error.message, /never closed/);
  const wrong = await postBatch(iconv.encode(csvText(ROWS), 'cp932'), { ...MAPPING, mapping: { ...MAPPING.mapping, amount: '金額（税込）' } });
  assert.equal(wrong.status, 422);
  assert.equal(wrong.body.error.code, 'invalid_mapping');
  assert.deepEqual(wrong.body.error.problems.map((p: any) => p.pointer), ['form:mapping/mapping/amount']);
  const unknownField = await postBatch(iconv.encode(csvText(ROWS), 'cp932'), { ...MAPPING, mapping: { nmae: '姓' } });
  assert.equal(unknownField.status, 422);
  assert.deepEqual(unknownField.body.error.problems.map((p: any) => p.pointer), ['form:mapping/mapping/nmae']);
});

test('kasane batch run uploads the file, shows progress and saves the result in the file\'s encoding', async () => {
  const csv = path.join(root, 'segment.csv');
  writeFileSync(csv, iconv.encode(csvText(ROWS), 'cp932'));
  const { template, ...rest } = MAPPING;
  writeFileSync(path.join(root, 'mapping.json'), JSON.stringify(rest));
  const out = path.join(root, 'links.csv');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/cli.ts'), 'batch', 'run', csv, '--template', template, '--mapping', path.join(root, 'mapping.json'), '--out', out, '--url', t.url, '--key', API_KEY], { cwd: PROJECT_ROOT, env: t.env });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /5 rows/);
  assert.match(stderr, /done: 5\/5 rows \(2 with errors\)/);
  assert.match(stdout, /3 rows with links \(1 with warnings\), 2 rows with errors/);
  const o: string[][] = parse(iconv.decode(readFileSync(out), 'cp932'));
  assert.deepEqual(o.slice(1).map((r) => r[o[0]!.indexOf('render_id')]).filter(Boolean), renderIds);
});

test('a batch may reuse a connector: the same contact via the hook or the CSV is the same render', async () => {
  const secret = 'bearer-secret-0123456789abcdef';
  const c = await t.api('POST', '/v1/connectors', { kind: 'generic', name: 'csv and hook', template: 'camp', secrets: [secret], contact: '/顧客ID', mapping: { name: { join: ['/姓', '/名'] }, amount: '/金額', items: { skus: '/商品' } } });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const hook = await fetch(`${t.url}/hooks/${c.body.id}`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ 顧客ID: 'c1', 姓: '山田', 名: '太郎', 金額: '１２５,０００', 商品: 'A1' }) });
  const fromHook = (await hook.json()) as any;
  assert.equal(hook.status, 201, JSON.stringify(fromHook));
  const up = await postBatch(iconv.encode(csvText(ROWS), 'cp932'), { connector: c.body.id });
  assert.equal(up.status, 202, JSON.stringify(up.body));
  assert.equal((await waitDone(up.body.id)).failed, 2);
  const o: string[][] = parse(iconv.decode((await result(up.body.id)).bytes, 'cp932'));
  assert.equal(o[1]![o[0]!.indexOf('render_id')], fromHook.render_id);
  const both = await postBatch(iconv.encode(csvText(ROWS), 'cp932'), { connector: c.body.id, template: 'camp' });
  assert.equal(both.status, 422);
  assert.deepEqual(both.body.error.problems.map((p: any) => p.pointer), ['form:mapping/template']);
});
