// Issue 13 §1 on the bundled templates' footage: the watch page's browser composite against
// the stitched stream, in real Chromium, at layer midpoints of templates/energy-savings
// (1280×720) and templates/phone-plan (1080×1920) with their example data, at a phone and a
// desktop viewport. Same figures as test/browser-fallback.test.ts's fidelity test (helpers in
// test/support/fidelity.ts), but where several layers are on screen the ideal picture carries
// them all, and each layer's box is measured on its own next to the whole picture.
// `npx tsx bench/run.ts --only fidelity` (a few minutes; prepares the two templates if needed).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { prepareWithTemporaryWorker, SHARED_STORAGE, startTestService } from '../test/helpers/service.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/player.ts';
import { hideUi } from '../test/support/watch-page.ts';
import {
  compare, decodeFrame, fetchStream, openPage, pictureBox, planOf, rawComposite, rgbComposite, scaled, screenshotPicture, showFrame,
  type Placed, type Rect,
} from '../test/support/fidelity.ts';
import { writeResult } from './lib/service.ts';

/** Frames (30 fps) at a layer's midpoint where every layer on screen has finished fading and sliding in. */
const FRAMES: Record<string, number[]> = {
  'energy-savings': [120, 360], // greeting (2–6 s), savings (10–14 s)
  'phone-plan': [300, 585], // items (6–14 s); chart (15–23 s) with savings (16–23 s) at 19.5 s
};
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };

interface OverlayLayer {
  id: string; image: string; x: number; y: number; width: number; height: number; startFrame: number; endFrame: number;
  fade?: { in: number; out: number }; slide?: { in?: { duration: number } } | null;
}
type Pair = { box: number; frame: number };

const work = mkdtempSync(path.join(os.tmpdir(), 'kasane-fidelity-'));
const log = (m: string) => console.error(`[fidelity ${new Date().toISOString().slice(11, 19)}] ${m}`);
const templatesDir = path.join(PROJECT_ROOT, 'templates');
// Personal segments are stored by content (data + content secret), and the example data has
// been rendered before in the shared storage: a page of that data would play the stitched
// stream at once. So the composite is shot on a service with a content secret of this run and
// no worker (nothing renders), and the stitched stream comes from a service with a worker
// rendering the same data (same template version, same pixels).
const svc = await startTestService({ env: { KASANE_TEMPLATES_DIR: templatesDir } });
const stopped = await startTestService({ worker: false, env: { KASANE_TEMPLATES_DIR: templatesDir, KASANE_CONTENT_SECRET: `fidelity-run-secret-${Date.now()}` } });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const rows: Array<Record<string, unknown>> = [];
try {
  log('preparing the bundled templates');
  await svc.svc.prepareBundled();
  // The worker-less service registers them too (stored versions: no encode).
  await prepareWithTemporaryWorker(stopped);
  const run = String(Date.now());
  for (const [templateId, frames] of Object.entries(FRAMES)) {
    const t = (await svc.api('GET', `/v1/templates/${templateId}`)).body;
    const data = Object.fromEntries(Object.entries(t.fields as Record<string, { example?: unknown }>).map(([k, f]) => [k, f.example]));
    for (const [vpName, vp] of Object.entries(VIEWPORTS)) {
      // A fresh lazy link (its own external id, the example data): not ready when the page opens, so the page composites.
      const r = await stopped.api('POST', '/v1/renders', { template: templateId, data, mode: 'lazy', external_id: `fidelity-${vpName}-${run}` });
      if (r.status !== 201) throw new Error(`accept ${templateId}: ${r.status} ${JSON.stringify(r.body)}`);
      const token = (r.body.player_url as string).split('/v/')[1]!.replace(/\/$/, '');
      const overlays = (await (await fetch(`${stopped.url}/v/${token}/overlays.json`)).json()) as { width: number; height: number; fps: { num: number; den: number }; layers: OverlayLayer[] };
      const fps = overlays.fps.num / overlays.fps.den;
      const { ctx, page, requests } = await openPage(browser, r.body.player_url, vp);
      await page.waitForFunction(() => document.querySelector('video')!.currentTime > 0.2, null, { timeout: 60_000 });
      if (!requests.some((u) => u.endsWith('/base.m3u8'))) throw new Error(`${templateId} ${vpName}: the page did not composite`);
      await hideUi(page);
      const shots: Array<{ want: number; drawn: number; png: Buffer; box: Awaited<ReturnType<typeof pictureBox>> }> = [];
      for (const want of frames) {
        const drawn = await showFrame(page, (want + 0.5) / fps);
        if (!(await page.getAttribute('.stage', 'data-playlist'))?.endsWith('base.m3u8')) throw new Error(`${templateId} ${vpName}: no longer compositing`);
        shots.push({ want, drawn, png: await page.screenshot({ path: path.join(work, `composite-${templateId}-${vpName}-${want}.png`) }), box: await pictureBox(page) });
      }
      await ctx.close();
      log(`${templateId} ${vpName}: composite shots at ${shots.map((s) => s.drawn).join(', ')}; waiting for the render`);
      const rs = await svc.api('POST', '/v1/renders', { template: templateId, data, mode: 'eager' });
      if (rs.status !== 201 && rs.status !== 200) throw new Error(`accept ${templateId}: ${rs.status} ${JSON.stringify(rs.body)}`);
      await svc.waitState(rs.body.id, ['done'], 15 * 60_000);
      const stoken = (rs.body.player_url as string).split('/v/')[1]!.replace(/\/$/, '');
      const again = await openPage(browser, rs.body.player_url, vp);
      await again.page.waitForFunction(() => document.querySelector('video')!.currentTime > 0.2, null, { timeout: 60_000 });
      if (!again.requests.some((u) => u.endsWith('/index.m3u8'))) throw new Error(`${templateId} ${vpName}: not the stitched stream once done`);
      await hideUi(again.page);
      const stitchedShots: Buffer[] = [];
      for (const s of shots) {
        await showFrame(again.page, (s.want + 0.5) / fps);
        stitchedShots.push(await again.page.screenshot({ path: path.join(work, `stitched-${templateId}-${vpName}-${s.want}.png`) }));
      }
      const stitchedBox = await pictureBox(again.page);
      await again.ctx.close();
      const stitchedFile = path.join(work, `stitched-${templateId}-${vpName}.ts`);
      await fetchStream(`${svc.url}/v/${stoken}/index.m3u8`, stitchedFile);
      const plan = planOf(SHARED_STORAGE, templateId, await fetchStream(`${stopped.url}/v/${token}/base.m3u8`, path.join(work, 'b.ts')));
      const images = await Promise.all(overlays.layers.map(async (l) => Buffer.from(await (await fetch(new URL(l.image, stopped.url))).arrayBuffer())));
      for (const [i, s] of shots.entries()) {
        const F = s.drawn;
        const visible = overlays.layers.map((l, k) => ({ l, png: images[k]! })).filter(({ l }) => F >= l.startFrame && F < l.endFrame);
        // At a midpoint the fades and slides are done; say so if not (the ideal would then be wrong).
        const steady = visible.every(({ l }) => F >= l.startFrame + Math.ceil(Math.max(l.fade?.in ?? 0, l.slide?.in?.duration ?? 0) * fps) && F < l.endFrame - Math.ceil((l.fade?.out ?? 0) * fps));
        const placed: Placed[] = visible.map(({ l, png }) => ({ png, x: l.x, y: l.y }));
        const [W, H] = [plan.width, plan.height];
        const [dw, dh] = [Math.round(s.box.w), Math.round(s.box.h)];
        const sc = dw / W;
        const screen = await screenshotPicture(s.png, s.box, dw, dh);
        const stitchedPage = await screenshotPicture(stitchedShots[i]!, stitchedBox, dw, dh);
        const stitched = scaled(await decodeFrame(['-i', stitchedFile], F, W, H), dw, dh);
        const raw = scaled(await rawComposite(plan, F, placed, SHARED_STORAGE, work), dw, dh);
        const ideal = scaled(await rgbComposite(plan, F, placed, SHARED_STORAGE, work), dw, dh);
        const regions: Array<[string, Rect]> = [
          ...visible.map(({ l }) => [`${l.id} box`, { x0: Math.floor(l.x * sc), y0: Math.floor(l.y * sc), x1: Math.ceil((l.x + l.width) * sc), y1: Math.ceil((l.y + l.height) * sc) }] as [string, Rect]),
          ['picture', { x0: 0, y0: 0, x1: dw, y1: dh }],
        ];
        for (const [region, rect] of regions) {
          const m = (a: Uint8ClampedArray, b: Uint8ClampedArray) => Math.round(compare(a, b, dw, rect, true).mad * 100) / 100;
          const row = {
            template: `${templateId} ${W}×${H}`, viewport: `${vpName} ${vp.width}×${vp.height} (picture ${dw}×${dh})`, frame: F, layers: visible.map(({ l }) => l.id).join('+'), steady, region,
            compositeVsStitched: m(screen, stitched), compositeVsStitchedPage: m(screen, stitchedPage), stitchedVsIdeal: m(stitched, ideal),
            stitchedVsPreEncode: m(stitched, raw), preEncodeVsIdeal: m(raw, ideal), compositeVsIdeal: m(screen, ideal),
            // The same bytes shown by Chromium and by ffmpeg + this file's scaling: the floor of every screenshot-vs-decoded figure.
            stitchedPageVsStitched: m(stitchedPage, stitched),
          };
          rows.push({ ...row, ratio: Math.round((row.compositeVsStitchedPage / row.stitchedVsIdeal) * 100) / 100 });
          log(JSON.stringify(rows.at(-1)));
        }
      }
    }
  }
  const cols = ['template', 'viewport', 'frame', 'layers', 'region', 'compositeVsStitched', 'compositeVsStitchedPage', 'stitchedVsIdeal', 'ratio', 'stitchedVsPreEncode', 'preEncodeVsIdeal', 'compositeVsIdeal', 'stitchedPageVsStitched'];
  console.log([`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${cols.map((c) => String(r[c])).join(' | ')} |`)].join('\n'));
  if (rows.some((r) => !r.steady)) console.log('note: some frames had a layer still fading or sliding (steady=false)');
  writeResult('fidelity', { chromium: browser.version(), rows });
} finally {
  await browser.close();
  await stopped.close();
  await svc.close();
  console.error(`screenshots and streams: ${work}`);
  if (process.env.FIDELITY_CLEAN) rmSync(work, { recursive: true, force: true });
}
process.exit(0);
