// Makes the screenshots in docs/console/ (committed, small PNGs): a real Kasane with a
// calm demo template, driven in Chromium like test/console.test.ts does. Run it by hand
// after changing the console:  npx tsx scripts/console-screenshots.ts
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startTestService, API_KEY } from '../test/helpers/service.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/player.ts';
import { runFfmpeg } from '../src/video/ffmpeg.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';

const OUT = path.join(PROJECT_ROOT, 'docs', 'console');
const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-console-shots-'));
const FIELDS = {
  name: { type: 'string', required: true, maxLength: 10, description: 'お客様のお名前（姓）', example: '山田', worst: '髙橋ああああああああ' },
  plan: { type: 'string', required: true, maxLength: 6, enum: ['ライト', 'スタンダード', 'プレミアム'], description: '契約プラン', example: 'スタンダード' },
  savings: { type: 'integer', required: true, minimum: 0, maximum: 999999, description: '年間の節約額（円）', example: 12000, worst: 999999 },
};
const layer = (id: string, text: string, y: number, size: number) => ({ id, type: 'text', start: 0.5, end: 2.5, box: { x: 30, y, width: 580, height: size * 2 }, text, style: { fontSize: size, color: '#ffffff' } });

/** A solid-colour clip (PNGs of it compress well) and template.json, zipped. */
async function pack(name: string, manifest: Record<string, unknown>): Promise<string> {
  const clip = path.join(root, `${name}.mp4`);
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', 'color=c=0x24466e:s=640x360:r=25', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
  const zip = await zipFiles([
    { name: 'template.json', data: Buffer.from(JSON.stringify({ video: { file: 'clip.mp4' }, encoder: { preset: 'ultrafast' }, fields: FIELDS, ...manifest })) },
    { name: 'clip.mp4', data: readFileSync(clip) },
  ]);
  const file = path.join(root, `${name}.zip`);
  writeFileSync(file, zip);
  return file;
}

async function shot(page: Page, name: string, scrollTo?: string) {
  if (scrollTo) await page.locator(scrollTo).first().evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.waitForTimeout(300);
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`${file}: ${Math.round(statSync(file).size / 1024)} KB`);
}

const base = { id: 'savings-report', name: '節約レポート', description: '年間の節約額をお知らせする動画' };
const good = await pack('v1', { ...base, layers: [layer('greeting', '{{name}}様', 60, 36), layer('amount', '{{plan}}プランで年間 {{savings}}円 おトク', 150, 20)] });
const good2 = await pack('v2', { ...base, layers: [layer('greeting', '{{name}}様へ', 60, 36), layer('amount', '{{plan}}プランで年間 {{savings}}円 おトク', 150, 20)] });
const bad = await pack('bad', {
  ...base,
  fields: { ...FIELDS, name: { ...FIELDS.name, worst: '髙橋กข' } },
  layers: [layer('greeting', '{{name}}様', 60, 36), { ...layer('amount', '{{plan}}プランで年間 {{savings}}円 おトク', 150, 48), box: { x: 30, y: 150, width: 200, height: 60 } }, { id: 'logo', type: 'image', start: 0.5, end: 2.5, box: { x: 560, y: 20, width: 60, height: 60 }, file: 'logo.png' }],
});

const t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'none') } });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  mkdirSync(OUT, { recursive: true });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${t.url}/console/`);
  await page.getByLabel('オペレーター用 API キー').fill(API_KEY);
  await shot(page, 'sign-in');
  await page.getByRole('button', { name: 'サインイン' }).click();
  await page.getByTestId('package-input').setInputFiles(good);
  await page.getByRole('status').filter({ hasText: '準備ができました' }).waitFor({ timeout: 120_000 }).catch(async (e) => {
    console.log(await page.locator('main').innerText());
    throw e;
  });
  await page.getByTestId('package-input').setInputFiles(bad);
  await page.getByRole('alert').filter({ hasText: '問題があります' }).waitFor();
  await shot(page, 'upload-problems');
  await page.getByRole('link', { name: '節約レポート' }).click();
  await page.getByRole('button', { name: '最悪ケースで見る' }).click();
  await page.getByRole('img', { name: /最悪ケース/ }).waitFor();
  await shot(page, 'preview-worst-case', '#preview-title');
  await page.getByRole('button', { name: 'この内容で動画を作る' }).click();
  const video = page.locator('.player video');
  await video.waitFor({ timeout: 90_000 });
  await video.evaluate(async (v) => {
    const el = v as HTMLVideoElement;
    await el.play();
    await new Promise((r) => setTimeout(r, 1500));
    el.pause();
  });
  await shot(page, 'try-it', '#try-title');
  await page.goto('about:blank');
  await page.goto(`${t.url}/console/#/templates`);
  await page.getByTestId('package-input').setInputFiles(good2);
  await page.getByRole('status').filter({ hasText: '準備ができました' }).waitFor({ timeout: 120_000 });
  await shot(page, 'templates');
  await page.getByRole('link', { name: '節約レポート' }).click();
  await page.getByRole('heading', { name: 'バージョン' }).waitFor();
  await page.getByRole('button', { name: 'ひとつ前のバージョンに戻す' }).click();
  await shot(page, 'rollback-confirm');
  await page.keyboard.press('Escape');
  await page.getByRole('link', { name: '連携' }).click();
  await page.getByRole('heading', { name: 'コネクター' }).waitFor();
  await shot(page, 'integrations');
} finally {
  await browser.close();
  await t.close();
  rmSync(root, { recursive: true, force: true });
}
