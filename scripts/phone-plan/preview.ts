// Stills of the phone-plan video with the template's overlays drawn on top by
// the service's own layer drawing (src/overlays), for the example and the
// worst-case data: for checking by eye that the overlay regions stay free.
import { readFile } from 'node:fs/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCanvas, loadImage, type SKRSContext2D } from '@napi-rs/canvas';
import { drawLayer, ensureFonts, type DrawContext } from '../../src/overlays/index.ts';
import { loadManifest } from '../../src/templates/manifest.ts';
import { H, W } from './style.ts';

type Data = 'example' | 'worst' | 'none';

const SHOTS: [number, Data][] = [
  [0.5, 'none'], [3, 'example'], [3, 'worst'], [10, 'none'], [10, 'example'], [10, 'worst'],
  [19, 'none'], [19, 'example'], [19, 'worst'], [24.5, 'none'], [28, 'none'],
];

export async function writePreview(templateDir: string, outDir: string, drawFrame: (ctx: SKRSContext2D, t: number) => void): Promise<void> {
  ensureFonts();
  const manifest = await loadManifest(templateDir);
  const data = (which: 'example' | 'worst') =>
    Object.fromEntries(Object.entries(manifest.fields).map(([k, f]) => [k, f[which] ?? f.example]));
  // product images come only from the package (the fallback); nothing is fetched
  const draw: DrawContext = {
    assets: { read: (rel) => readFile(path.join(templateDir, rel)) },
    fetchPolicy: { allowHosts: [], allowPrivate: false, maxBytes: 0, maxPixels: 0, timeoutMs: 0 },
  };
  mkdirSync(outDir, { recursive: true });
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  for (const [t, which] of SHOTS) {
    drawFrame(ctx, t);
    if (which !== 'none') {
      const d = data(which);
      for (const layer of manifest.layers) {
        if (t < layer.start || t >= layer.end) continue;
        const o = await drawLayer(layer, d, draw);
        ctx.drawImage(await loadImage(o.png), o.x, o.y);
        // box outline, to see the declared region
        ctx.save();
        ctx.setLineDash([10, 8]);
        ctx.strokeStyle = 'rgba(0,255,180,0.7)';
        ctx.lineWidth = 2;
        ctx.strokeRect(layer.box.x + 0.5, layer.box.y + 0.5, layer.box.width - 1, layer.box.height - 1);
        ctx.restore();
      }
    }
    const file = path.join(outDir, `phone-plan-${String(t).replace('.', '_')}s-${which}.png`);
    writeFileSync(file, canvas.toBuffer('image/png'));
    console.log(`preview: ${file}`);
  }
}
