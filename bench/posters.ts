// A person's images (issue 10 §1) on the bundled templates, against the compiled
// API and worker: poster.jpg cold (first draw for fresh data) and warm (cached),
// og.jpg and preview.gif, per template. `npm run build` first.
//   node --import tsx bench/posters.ts [--people 5] [--storage dir]
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { peakRssMb, startKasane } from './lib/procs.ts';
import { round, sleep } from './lib/stats.ts';

const { values: o } = parseArgs({ options: { people: { type: 'string', default: '5' }, storage: { type: 'string' } } });
const PEOPLE = Number(o.people);
const varDir = path.join(os.tmpdir(), `kasane-poster-bench-${process.pid}`);
mkdirSync(varDir, { recursive: true });
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
// Prepared versions are content-addressed: a storage kept across runs prepares each template once.
const storage = path.resolve(o.storage ?? path.join(PROJECT_ROOT, 'bench/.cache/poster-storage'));
const env = { PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, KASANE_VAR_DIR: varDir, KASANE_STORAGE_DIR: storage, LOG_LEVEL: 'warn' };

async function timed(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const r = await fetch(url);
  const b = await r.arrayBuffer();
  if (!r.ok) throw new Error(`${url.replace(/\/v\/[^/]+/, '/v/…')}: ${r.status}`);
  return { ms: performance.now() - t0, bytes: b.byteLength };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const api = startKasane('api', env);
let worker: ReturnType<typeof startKasane> | undefined;
try {
  while (!(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) await sleep(100);
  worker = startKasane('worker', env);
  const auth = `Bearer ${readFileSync(path.join(varDir, 'api-key'), 'utf8').trim()}`;
  const { packageFiles } = await import('../src/templates/prepare.ts');
  const { zipFiles } = await import('../src/templates/package/zip-writer.ts');
  for (const id of ['energy-savings', 'phone-plan']) {
    const dir = path.join(PROJECT_ROOT, 'templates', id);
    const zip = await zipFiles((await packageFiles(dir)).map((name) => ({ name, data: readFileSync(path.join(dir, name)) })));
    const form = new FormData();
    form.append('package', new Blob([new Uint8Array(zip)]), 'p.zip');
    const up = await fetch(`${base}/v1/templates?wait=true`, { method: 'POST', headers: { authorization: auth }, body: form });
    if (!up.ok) throw new Error(await up.text());
    await up.json();
    const m = JSON.parse(readFileSync(path.join(dir, 'template.json'), 'utf8')) as { fields: Record<string, { example?: unknown }> };
    const example = Object.fromEntries(Object.entries(m.fields).map(([k, f]) => [k, f.example]));
    const rows: Record<string, number[]> = { posterCold: [], posterWarm: [], play: [], og: [], gif: [], gifKb: [] };
    for (let i = 0; i < PEOPLE + 1; i++) {
      // Fresh names: nothing cached for them yet. Lazy: no render runs meanwhile.
      const body = { template: id, data: { ...example, name: `試${process.pid % 1000}${i}` }, mode: 'lazy' };
      const r = await fetch(`${base}/v1/renders`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const link = ((await r.json()) as { playlist_url: string }).playlist_url.replace(/index\.m3u8$/, '');
      const cold = await timed(`${link}poster.jpg`);
      const warm = await timed(`${link}poster.jpg`);
      const play = await timed(`${link}poster.jpg?play=1`);
      const og = await timed(`${link}og.jpg`);
      const gif = await timed(`${link}preview.gif`);
      if (i === 0) continue; // the first person warms the drawing thread (fonts, ffmpeg in page cache)
      rows.posterCold!.push(cold.ms);
      rows.posterWarm!.push(warm.ms);
      rows.play!.push(play.ms);
      rows.og!.push(og.ms);
      rows.gif!.push(gif.ms);
      rows.gifKb!.push(gif.bytes / 1000);
    }
    console.log(JSON.stringify({
      template: id,
      people: PEOPLE,
      ...Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { median: round(median(v), 0), max: round(Math.max(...v), 0) }])),
      apiPeakMb: round(peakRssMb(api.pid), 0),
    }));
  }
} finally {
  await worker?.stop();
  await api.stop();
  rmSync(varDir, { recursive: true, force: true });
}
