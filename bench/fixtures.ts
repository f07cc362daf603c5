// Benchmark templates, generated from the bundled energy-savings base video so
// nothing large is committed:
//   bench-ref      30 s 720p30 with audio; name 2–6 s, amount 10–14 s, items 20–26 s
//                  (the reference template)
//   bench-ref-5min the same overlays on the base looped to 5 minutes
//   bench-first    the same, but the name shows from 0 s: its first segment is personalized
//   bench-items    only the items layer (20–26 s): for counting content-addressed reuse
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { runFfmpeg } from '../src/video/ffmpeg.ts';

const SAMPLE = path.join(PROJECT_ROOT, 'templates/energy-savings');
const FALLBACK = path.join(PROJECT_ROOT, 'templates/phone-plan/images/item-fallback.png');

const card = {
  background: 'rgba(255,255,255,0.95)',
  radius: 24,
  padding: 16,
  nameStyle: { fontSize: 26, minFontSize: 18, fontWeight: 700, color: '#1b1538', align: 'left' },
  priceStyle: { fontSize: 34, fontWeight: 700, color: '#e5486f', align: 'left' },
  badgeStyle: { color: '#ffffff', background: '#ff7a93', fontSize: 20 },
};

const textStyle = (color: string) => ({
  fontSize: 60,
  minFontSize: 28,
  fontWeight: 700,
  color,
  align: 'center',
  stroke: { color: '#0b1f3a', width: 5 },
  background: { color: 'rgba(16,42,82,0.72)', radius: 24, padding: 16 },
  lineHeight: 1.2,
});

function manifest(id: string, nameStart: number, itemsOnly = false) {
  const m = {
    id,
    name: `Benchmark reference (${id})`,
    locale: 'ja-JP',
    video: { file: 'base.mp4' },
    output: { width: 1280, height: 720, fps: 30 },
    encoder: { preset: 'veryfast', crf: 21, maxrateKbps: 4500, bufsizeKbps: 9000 },
    fields: {
      name: { type: 'string', required: true, minLength: 1, maxLength: 20, example: '山田 太郎', worst: '髙﨑ジェニファー・アレクサンドラ真由美' },
      amount: { type: 'integer', required: true, minimum: 0, maximum: 9999999, example: 12000, worst: 9999999 },
      items: {
        type: 'array',
        required: true,
        minItems: 1,
        maxItems: 3,
        items: {
          type: 'object',
          properties: {
            name: { type: 'string', required: true, minLength: 1, maxLength: 24 },
            price: { type: 'integer', required: true, minimum: 0, maximum: 9999999 },
            badge: { type: 'string', maxLength: 6 },
          },
        },
        example: [
          { name: 'グリーンプラン S', price: 2980, badge: '人気' },
          { name: '蓄電池レンタル', price: 4980, badge: '新着' },
          { name: 'スマート分電盤', price: 19800 },
        ],
      },
    },
    layers: [
      { id: 'name', type: 'text', start: nameStart, end: 6, box: { x: 140, y: 470, width: 1000, height: 120 }, text: '{{name}}様', fit: 'shrink', style: textStyle('#ffffff'), fade: { in: 0.4, out: 0.4 } },
      { id: 'amount', type: 'text', start: 10, end: 14, box: { x: 140, y: 470, width: 1000, height: 120 }, text: '年間{{yen amount}}お得になります', fit: 'shrink', style: textStyle('#ffe27a'), fade: { in: 0.4, out: 0.4 } },
      {
        id: 'items', type: 'items', start: 20, end: 26, box: { x: 60, y: 380, width: 1160, height: 240 },
        field: 'items', maxItems: 3, imageFallback: 'images/item-fallback.png', card, fade: { in: 0.4, out: 0.4 },
      },
    ],
  };
  if (itemsOnly) m.layers = m.layers.filter((l) => l.id === 'items');
  return m;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

async function writeTemplate(dir: string, id: string, nameStart: number, video: (out: string) => Promise<void>, itemsOnly = false): Promise<string> {
  const t = path.join(dir, id);
  await mkdir(path.join(t, 'images'), { recursive: true });
  await copyFile(FALLBACK, path.join(t, 'images/item-fallback.png'));
  await writeFile(path.join(t, 'template.json'), JSON.stringify(manifest(id, nameStart, itemsOnly), null, 2));
  if (!(await exists(path.join(t, 'base.mp4')))) await video(path.join(t, 'base.mp4'));
  return t;
}

export interface BenchTemplates {
  ref: string;
  ref5min: string;
  first: string;
  itemsOnly: string;
}

/** Writes the three benchmark template folders under `dir` (kept between runs). */
export async function makeBenchTemplates(dir: string): Promise<BenchTemplates> {
  const sample = path.join(SAMPLE, 'base.mp4');
  const ref = await writeTemplate(dir, 'bench-ref', 2, (out) => copyFile(sample, out));
  const first = await writeTemplate(dir, 'bench-first', 0, (out) => copyFile(sample, out));
  // Ten plays of the 30 s base, stream-copied: same picture and sound, 5 minutes long.
  const ref5min = await writeTemplate(dir, 'bench-ref-5min', 2, async (out) => {
    await runFfmpeg(['-y', '-stream_loop', '9', '-i', sample, '-c', 'copy', '-movflags', '+faststart', out], { timeoutMs: 120_000 });
  });
  const itemsOnly = await writeTemplate(dir, 'bench-items', 2, (out) => copyFile(sample, out), true);
  return { ref, ref5min, first, itemsOnly };
}

const ITEM_NAMES = ['グリーンプラン S', 'グリーンプラン M', '蓄電池レンタル', 'スマート分電盤', 'EV充電プラン', '太陽光パネル', '省エネ診断', 'でんきガスセット'];

/** Item set number k (three cards); equal k → equal items → one shared encode. */
export function benchItemSet(k: number) {
  return [0, 1, 2].map((j) => ({ name: ITEM_NAMES[(k + j * 3) % ITEM_NAMES.length]!, price: 1980 + ((k * 7 + j * 1000) % 20000), badge: j === 0 ? '人気' : '新着' }));
}
