// The operator console (/console) in real Chromium against a real Kasane, driven as an
// operator would: sign in, upload a good package and see it become ready, upload a bad
// one and see every problem in Japanese, preview the worst case, make a render and see it
// play, roll back; an MA-only key refused. Each screen: a screenshot under
// test-results/console/ and axe-core with no serious or critical violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { connectTestRedis, startTestService, API_KEY, type TestService } from './helpers/service.ts';
import { textLayer, writeTinyTemplate } from './helpers/tiny-template.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/player.ts';
import { zipFiles } from '../src/templates/package/zip-writer.ts';
import { packageFiles } from '../src/templates/prepare.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';

const require = createRequire(import.meta.url);
const root = mkdtempSync(path.join(os.tmpdir(), 'kasane-console-'));
const SHOTS = path.join(PROJECT_ROOT, 'test-results', 'console');
const ID = 'console-demo';
const FIELDS = {
  name: { type: 'string', required: true, maxLength: 8, description: 'お客様のお名前', example: '山田', worst: '髙橋ああああああ' },
  amount: { type: 'integer', required: true, minimum: 0, maximum: 999999, example: 1200, worst: 999999 },
};

let t: TestService;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const zips: Record<'v1' | 'v2' | 'bad' | 'prep', string> = {} as never;
const requests: string[] = [];
/** Script errors and Content-Security-Policy refusals seen in the page. */
const problems: string[] = [];
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function zipTemplate(name: keyof typeof zips, spec: Parameters<typeof writeTinyTemplate>[1], edit?: (m: Record<string, unknown>, dir: string) => void) {
  const dir = await writeTinyTemplate(path.join(root, name), spec);
  if (edit) {
    const file = path.join(dir, 'template.json');
    const m = JSON.parse(readFileSync(file, 'utf8'));
    edit(m, dir);
    writeFileSync(file, JSON.stringify(m));
  }
  const zip = await zipFiles(await Promise.all((await packageFiles(dir)).map(async (f) => ({ name: f, data: readFileSync(path.join(dir, f)) }))));
  zips[name] = path.join(root, `${name}.zip`);
  writeFileSync(zips[name], zip);
}

/** Entry names from a zip's central directory. */
function zipEntryNames(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  assert.ok(end >= 0, 'a zip');
  const names: string[] = [];
  for (let n = 0, at = zip.readUInt32LE(end + 16); n < zip.readUInt16LE(end + 10); n++) {
    const len = zip.readUInt16LE(at + 28);
    names.push(zip.subarray(at + 46, at + 46 + len).toString('utf8'));
    at += 46 + len + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

async function axeSerious(p: Page): Promise<string[]> {
  // Evaluated over DevTools, not added as a <script>: the console's CSP refuses inline scripts, as it should.
  await p.evaluate(AXE);
  const r = await p.evaluate(() => (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }> }> } }).axe.run());
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
}

/** A screenshot for the reviewer and an axe-core check of what is on screen now. */
async function screen(name: string, p: Page = page) {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  assert.deepEqual(await axeSerious(p), [], `axe-core on ${name}`);
}

async function signIn(p: Page, key: string) {
  await p.goto(`${t.url}/console/`);
  await p.getByLabel('オペレーター用 API キー').fill(key);
  await p.getByRole('button', { name: 'サインイン' }).click();
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const layers = [{ ...textLayer('{{name}}様 {{amount}}円', 22), start: 1, end: 2 }];
  await zipTemplate('v1', { id: ID, name: 'コンソールのデモ', seconds: 3, fields: FIELDS, layers });
  await zipTemplate('v2', { id: ID, name: 'コンソールのデモ', seconds: 3, fields: FIELDS, layers: [{ ...layers[0], text: '{{name}}様へ {{amount}}円' }] });
  // Problems in several places: characters the font lacks in the worst case, text that the
  // worst case cannot fit, and an image file missing from the package.
  const badFields = { ...FIELDS, name: { ...FIELDS.name, worst: '髙橋กข' } };
  await zipTemplate('bad', { id: 'console-bad', name: 'bad', seconds: 3, fields: badFields, layers }, (m) => {
    m.layers = [
      { ...textLayer('{{name}}様', 22), id: 'greeting', start: 1, end: 2 },
      { ...textLayer('{{name}}{{name}}{{name}}', 60), id: 'big', start: 1, end: 2, box: { x: 10, y: 10, width: 100, height: 40 } },
      { id: 'logo', type: 'image', start: 1, end: 2, box: { x: 0, y: 0, width: 40, height: 40 }, file: 'logo.png' },
    ];
  });
  t = await startTestService({ env: { KASANE_TEMPLATES_DIR: path.join(root, 'none') } });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
});

after(async () => {
  await browser?.close();
  await t?.close();
  rmSync(root, { recursive: true, force: true });
  console.log(`# console screenshots: ${SHOTS}`);
});

test('the console is served by the API process: hashed script and CSS cached for a year, fonts from this service', async () => {
  const html = await fetch(`${t.url}/console/`);
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-type')!, /text\/html/);
  const body = await html.text();
  const script = /src="(\/console\/app-[0-9a-f]{12}\.js)"/.exec(body)?.[1];
  const css = /href="(\/console\/app-[0-9a-f]{12}\.css)"/.exec(body)?.[1];
  assert.ok(script && css, body);
  const js = await fetch(t.url + script);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('cache-control')!, /max-age=31536000, immutable/);
  const style = await (await fetch(t.url + css)).text();
  const font = /url\((\/console\/fonts\/noto-sans-jp-[0-9]+-400-normal\.woff2)\)/.exec(style)?.[1];
  assert.ok(font, 'the CSS points at our own font route');
  const f = await fetch(t.url + font);
  assert.equal(f.status, 200);
  assert.equal(f.headers.get('content-type'), 'font/woff2');
  assert.ok([400, 404].includes((await fetch(`${t.url}/console/fonts/..%2Fpackage.json`)).status), 'no path reaches the file system');
  assert.equal((await fetch(`${t.url}/console/fonts/noto-sans-jp-0-400-normal.woff`)).status, 404, 'only the woff2 files');
  assert.equal((await fetch(`${t.url}/console/app-000000000000.js`)).status, 404);
});

test('sign in, upload a good package and see it become ready', async () => {
  await signIn(page, 'wrong-key-0123456789');
  await page.getByRole('alert').filter({ hasText: 'キーが正しくありません' }).waitFor();
  await screen('01-sign-in-refused');
  await signIn(page, API_KEY);
  await page.getByRole('heading', { name: 'テンプレート', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.length + document.cookie.length), 0, 'the key is not kept beyond the tab');
  await page.getByTestId('package-input').setInputFiles(zips.v1);
  await page.getByRole('status').filter({ hasText: '準備ができました' }).waitFor({ timeout: 120_000 });
  const row = page.getByRole('row').filter({ hasText: 'コンソールのデモ' });
  await row.waitFor();
  const summary = (await t.api('GET', `/v1/templates/${ID}`)).body;
  assert.ok(summary.segments.personalized_seconds > 0 && summary.segments.personalized_seconds < 3, JSON.stringify(summary.segments));
  const cells = await row.getByRole('cell').allInnerTexts();
  assert.deepEqual(cells.slice(0, 4), [summary.version, '320×180', '3 秒', `${summary.segments.personalized_seconds} 秒`]);
  assert.match(cells[4]!, /公開可能/);
  await screen('02-templates');
});

test('a bad package: every problem listed in Japanese, grouped by file and layer; nothing goes live', async () => {
  // What the API says about it, to hold the page to: each Japanese message must be on screen.
  const form = new FormData();
  form.append('package', new Blob([readFileSync(zips.bad)], { type: 'application/zip' }), 'bad.zip');
  const res = await fetch(`${t.url}/v1/templates`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
  const problems = ((await res.json()) as { error: { problems: Array<{ pointer: string; message_ja: string }> } }).error.problems;
  assert.equal(res.status, 422);
  assert.ok(problems.length >= 3, JSON.stringify(problems));
  await page.getByTestId('package-input').setInputFiles(zips.bad);
  const alert = page.getByRole('alert').filter({ hasText: '問題があります' });
  await alert.waitFor();
  const text = await alert.innerText();
  for (const p of problems) assert.ok(text.includes(p.message_ja), `shown: ${p.message_ja}\n--- page:\n${text}`);
  assert.match(text, /^bad\.zip に \d+ 件の問題があります/m);
  // Characters the font lacks are named with their code points (the glyphs themselves would show as boxes).
  assert.match(text, /フォントにありません: ก \(U\+0E01\)、ข \(U\+0E02\)/);
  // Grouped by file (template.json) and by layer, each layer named by its id from the zip.
  assert.ok(await alert.getByRole('heading', { name: 'template.json' }).count(), text);
  for (const [n, id] of ['greeting', 'big', 'logo'].entries()) {
    const group = alert.locator('.problem-part', { has: page.getByRole('heading', { name: `レイヤー ${n + 1}「${id}」` }) });
    const want = problems.filter((p) => p.pointer.startsWith(`/layers/${n}/`)).map((p) => p.message_ja);
    assert.ok(want.length, `the API has a problem on layer ${n}`);
    for (const w of want) assert.ok((await group.innerText()).includes(w), `${w} under layer ${id}\n${text}`);
  }
  await screen('03-upload-problems');
  assert.equal((await t.api('GET', '/v1/templates/console-bad')).status, 404, 'nothing went live');
});

test('preview the worst case in one click; each layer full size on click', async () => {
  await page.getByRole('link', { name: 'コンソールのデモ' }).click();
  await page.getByRole('heading', { name: 'プレビュー' }).waitFor();
  await page.getByRole('img', { name: 'コンタクトシート (例のデータ)' }).waitFor();
  await page.getByRole('button', { name: '最悪ケースで見る' }).click();
  const sheet = page.getByRole('img', { name: 'コンタクトシート (最悪ケースのデータ)' });
  await sheet.waitFor();
  const size = await sheet.evaluate((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight]);
  assert.ok(size[0]! > 100 && size[1]! > 50, `a real image: ${size}`);
  // The form is made from the fields: labels, limits and descriptions.
  assert.equal(await page.getByLabel('name').inputValue(), '山田');
  assert.match(await page.locator('#field-name-help').innerText(), /お客様のお名前.*必須.*8文字まで/);
  await screen('04-preview-worst');
  await page.getByRole('button', { name: /^hi · / }).click();
  const full = page.getByRole('dialog').getByRole('img', { name: 'レイヤー hi' });
  await full.waitFor();
  assert.equal(await full.evaluate((i) => (i as HTMLImageElement).naturalWidth), 320, 'the still at the template size');
  await screen('05-layer-full-size');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
});

test('make a render from the form and see it play in the page', async () => {
  await page.getByLabel('name').fill('佐藤');
  await page.getByRole('button', { name: 'この内容で動画を作る' }).click();
  const video = page.locator('.player video');
  await video.waitFor({ timeout: 90_000 });
  await video.evaluate((v) => (v as HTMLVideoElement).play());
  await page.waitForFunction(() => (document.querySelector('.player video') as HTMLVideoElement).currentTime > 1, null, { timeout: 30_000 });
  assert.ok(await page.getByRole('link', { name: 'MP4 をダウンロード' }).count());
  assert.ok(await page.getByRole('link', { name: '視聴ページを開く' }).count());
  await page.getByRole('img', { name: 'ポスター画像' }).waitFor();
  await screen('06-try-it');
});

test('versions: a second upload (a folder, zipped in the page) goes live, then roll back with a confirmation', async () => {
  await page.goto(`${t.url}/console/#/templates`);
  // The template's folder as the operator has it, with the Finder's litter in it.
  const folder = path.join(root, 'v2', ID);
  writeFileSync(path.join(folder, '.DS_Store'), 'finder litter');
  // The zip the page sends, kept as it goes (the browser's network log has no bytes for a form with a file).
  await page.evaluate(() => {
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function (body) {
      const f = body instanceof FormData ? body.get('package') : null;
      if (f instanceof File) (window as unknown as { sentPackage: Promise<[string, number[]]> }).sentPackage = f.arrayBuffer().then((b) => [f.name, [...new Uint8Array(b)]]);
      return send.call(this, body);
    };
  });
  await page.getByTestId('folder-input').setInputFiles(folder);
  await page.getByRole('status').filter({ hasText: '準備ができました' }).waitFor({ timeout: 120_000 });
  // What went up: a zip named after the folder, paths relative to it, hidden files left out.
  const [sentName, bytes] = await page.evaluate(() => (window as unknown as { sentPackage: Promise<[string, number[]]> }).sentPackage);
  assert.equal(sentName, 'console-demo.zip');
  assert.deepEqual(zipEntryNames(Buffer.from(bytes)).sort(), ['clip.mp4', 'template.json']);
  const versions = (await t.api('GET', `/v1/templates/${ID}/versions`)).body.versions as Array<{ version: string; active: boolean }>;
  assert.equal(versions.length, 2);
  const [v2, v1] = versions.map((v) => v.version);
  assert.equal(versions[0]!.active, true);
  await page.getByRole('link', { name: 'コンソールのデモ' }).click();
  await page.getByRole('heading', { name: 'バージョン' }).waitFor();
  const activeRow = () => page.locator('tr', { has: page.locator('.badge.active') }).getAttribute('data-version');
  await page.locator(`tr[data-version="${v2}"] .badge.active`).waitFor();
  await page.getByRole('button', { name: 'ひとつ前のバージョンに戻す' }).click();
  const dialog = page.getByRole('dialog', { name: '前のバージョンに戻しますか？' });
  await dialog.waitFor();
  await screen('07-rollback-confirm');
  await dialog.getByRole('button', { name: '戻す' }).click();
  await page.locator(`tr[data-version="${v1}"] .badge.active`).waitFor();
  assert.equal(await activeRow(), v1);
  assert.equal((await t.api('GET', `/v1/templates/${ID}`)).body.version, v1, 'the API agrees');
  await screen('08-versions');
});

test('the templates list shows the last 30 days of views, labelled so, not all-time numbers', async () => {
  // Links issued long ago are in the all-time counters (kept forever), not in any recent day's.
  const { version } = (await t.api('GET', `/v1/templates/${ID}`)).body;
  const redis = connectTestRedis(t.varDir);
  try {
    await redis.hincrby(`kasane:stats:${ID}`, `${version}:issued`, 100);
  } finally {
    redis.disconnect();
  }
  const recent = (await t.api('GET', `/v1/templates/${ID}/stats?days=30`)).body.counts.issued;
  const allTime = (await t.api('GET', `/v1/templates/${ID}/stats`)).body.counts.issued;
  assert.ok(recent >= 1 && allTime === recent + 100, `${recent} recent, ${allTime} all time`);
  await page.goto(`${t.url}/console/#/templates`);
  await page.getByRole('columnheader', { name: '視聴（過去30日）' }).waitFor();
  const issued = page.getByRole('row').filter({ hasText: 'コンソールのデモ' }).locator('.funnel div', { hasText: '発行' }).locator('dd');
  await issued.waitFor();
  assert.equal(await issued.innerText(), String(recent));
});

test('recent renders, integrations, English, tablet width: each screen clean', async () => {
  await page.getByRole('link', { name: '最近の動画' }).click();
  await page.getByRole('heading', { name: '最近の動画', level: 1 }).waitFor();
  await page.getByRole('button', { name: '検索' }).waitFor();
  // The render made on the "try it" screen is listed (GET /v1/renders), with its template and state.
  await page.locator('table tbody tr', { hasText: ID }).first().waitFor();
  await screen('09-renders');
  await page.getByRole('link', { name: '連携' }).click();
  await page.getByRole('heading', { name: 'キャンペーン CSV' }).waitFor();
  await page.getByRole('heading', { name: 'コネクター' }).waitFor();
  await screen('10-integrations');
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await page.getByRole('button', { name: '日本語' }).click();
  await page.setViewportSize({ width: 768, height: 1024 });
  await page.getByRole('link', { name: 'テンプレート' }).click();
  await page.getByRole('link', { name: 'コンソールのデモ' }).click();
  await page.getByRole('heading', { name: 'プレビュー' }).waitFor();
  await page.getByRole('img', { name: /コンタクトシート/ }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 768 px (${overflow} px too wide)`);
  await screen('11-template-tablet');
  await page.setViewportSize({ width: 1280, height: 800 });
  // Keyboard: on a fresh page the first Tab reaches the skip link, shown on screen, with a visible focus ring.
  await page.goto('about:blank');
  await page.goto(`${t.url}/console/#/templates`);
  await page.getByRole('heading', { name: 'テンプレート', level: 1 }).waitFor();
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement!;
    return { text: el.textContent, outline: getComputedStyle(el).outlineStyle, left: el.getBoundingClientRect().left };
  });
  assert.equal(focused.text, '本文へ移動');
  assert.notEqual(focused.outline, 'none');
  assert.ok(focused.left >= 0, 'the skip link is on screen when focused');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
});

test('the page asked no other origin, threw nothing, and broke none of its CSP', () => {
  assert.deepEqual(problems, []);
  const origin = new URL(t.url).origin;
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(foreign, []);
});

test('an MA-only (render scope) key cannot open the console', async () => {
  const made = await t.api('POST', '/v1/keys', { name: 'MA tool', scopes: ['render'] });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const key = made.body.secret;
  const p = await context.newPage();
  await signIn(p, key);
  const alert = p.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /コンソールを使えません.*template 権限/s);
  assert.equal(await p.getByRole('heading', { name: 'テンプレート', level: 1 }).count(), 0);
  await screen('12-ma-key-refused', p);
  await p.close();
});

test('the API tells where a preparation is (what the console shows while a version prepares)', async () => {
  // No worker: the prepare job stays queued, so the answer is deterministic.
  const s = await startTestService({ worker: false, env: { KASANE_TEMPLATES_DIR: path.join(root, 'none') } });
  try {
    const form = new FormData();
    form.append('package', new Blob([readFileSync(zips.v1)], { type: 'application/zip' }), 'v1.zip');
    const up = await fetch(`${s.url}/v1/templates`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
    assert.equal(up.status, 202);
    const { version } = (await up.json()) as { version: string };
    const v = await s.api('GET', `/v1/templates/${ID}/versions/${version}`);
    assert.equal(v.body.state, 'preparing');
    assert.deepEqual(v.body.prepare, { state: 'waiting', step: null });
  } finally {
    await s.close();
  }
});

test('a version being prepared reports the running job and the step it is at (what the console shows meanwhile)', async () => {
  // A package never prepared before (its name makes a new version), so every step runs.
  await zipTemplate('prep', { id: 'console-prep', name: `準備中の表示 ${Date.now()}`, seconds: 3, fields: FIELDS, layers: [{ ...textLayer('{{name}}様', 22), start: 1, end: 2 }] });
  const form = new FormData();
  form.append('package', new Blob([readFileSync(zips.prep)], { type: 'application/zip' }), 'prep.zip');
  const up = await fetch(`${t.url}/v1/templates`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
  assert.equal(up.status, 202);
  const { version } = (await up.json()) as { version: string };
  // Polled quickly until ready: a few seconds of encoding, each answer a few ms.
  const seen: Array<{ state: string; step: string | null }> = [];
  for (const until = Date.now() + 120_000; Date.now() < until; ) {
    const v = (await t.api('GET', `/v1/templates/console-prep/versions/${version}`)).body;
    if (v.state !== 'preparing') {
      assert.equal(v.state, 'ready', JSON.stringify(v));
      break;
    }
    const last = seen.at(-1);
    if (v.prepare && (last?.state !== v.prepare.state || last?.step !== v.prepare.step)) seen.push(v.prepare);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(seen.some((p) => p.state === 'active' && typeof p.step === 'string' && p.step.length > 0), `an active job with a step was seen: ${JSON.stringify(seen)}`);
  console.log(`# preparation as seen: ${JSON.stringify(seen)}`);
});
