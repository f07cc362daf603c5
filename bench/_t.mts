import { LocalStorage } from '../src/storage/storage.ts';
import { loadPlan } from '../src/templates/prepare.ts';
import { drawContext, overlaysFor, registerPackageFonts } from '../src/render/personalize.ts';
import { exampleData } from '../src/templates/fields.ts';
import { ensureFonts } from '../src/overlays/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { readdirSync } from 'node:fs';
const storage = new LocalStorage('/tmp/bcache1');
const v = readdirSync('/tmp/bcache1/templates/bench-ref')[0]!;
const plan = (await loadPlan(storage, 'bench-ref', v))!;
ensureFonts(); await registerPackageFonts(plan, storage);
const ctx = drawContext(plan, storage, loadConfig().imageFetch);
for (let r = 0; r < 4; r++) {
  const data = exampleData(plan.manifest.fields) as any; data.name = '山田' + r;
  for (const seg of plan.segments.filter(s => s.kind === 'dynamic')) {
    const t = performance.now(); const o = await overlaysFor(plan, seg, data, ctx);
    console.log(r, seg.index, (performance.now() - t).toFixed(1), 'ms', o.map(x => x.png.length));
  }
}
