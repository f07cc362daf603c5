// Still previews of a template with real or worst-case data, without encoding
// video: each layer drawn over the frame at the middle of its window, plus a
// contact sheet. Base frames come from the lossless mezzanine and are cached.
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { Storage } from '../storage/storage.ts';
import { rawMezzanine } from '../video/mezzanine.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import { layerFrames, versionPrefix } from '../templates/plan.ts';
import { runFfmpeg } from '../video/ffmpeg.ts';
import { VIDEO_TO_RGB } from '../video/colour.ts';
import { rawInputArgs } from './render-pass.ts';
import { drawLayer, measureFit, resolveLayerText, type DrawContext, ensureFonts } from '../overlays/index.ts';
import { registerPackageFonts } from './personalize.ts';

export interface Still {
  layer: string;
  type: string;
  /** Seconds into the video. */
  time: number;
  png: Buffer;
  warnings: string[];
  fit?: { fits: boolean; fontSize: number; truncated: boolean };
}

async function baseFrame(plan: TemplatePlan, storage: Storage, frame: number): Promise<Buffer> {
  const key = `${versionPrefix(plan.templateId, plan.version)}/preview/frame-${frame}.png`;
  const cached = await storage.get(key);
  if (cached) return cached;
  const seg = plan.segments.find((s) => frame >= s.startFrame && frame < s.startFrame + s.frames)!;
  // Dynamic segments have raw mezzanine frames; static ones are decoded from their shared segment.
  const src = seg.mezzanine ? await rawMezzanine(storage, seg.mezzanine, { ...plan, frames: seg.frames }) : await storage.cached(seg.key);
  if (!src) throw new Error(`segment ${seg.key} is missing`);
  const input = seg.mezzanine ? rawInputArgs(plan, src.path) : ['-i', src.path];
  let stdout: Buffer;
  try {
    ({ stdout } = await runFfmpeg(['-v', 'error', ...input, '-vf', `select=eq(n\\,${frame - seg.startFrame}),${VIDEO_TO_RGB}`, '-frames:v', '1', '-f', 'image2', '-c:v', 'png', 'pipe:1'], { captureStdout: true, timeoutMs: 30_000 }));
  } finally {
    src.release();
  }
  await storage.put(key, stdout);
  return stdout;
}

export async function previewStills(plan: TemplatePlan, data: Record<string, unknown>, storage: Storage, ctx: DrawContext): Promise<Still[]> {
  ensureFonts();
  await registerPackageFonts(plan, storage);
  return Promise.all(
    plan.manifest.layers.map(async (layer) => {
      const { startFrame, endFrame } = layerFrames(layer, plan.fps, plan.frameCount);
      const mid = Math.min(plan.frameCount - 1, Math.floor((startFrame + endFrame) / 2));
      const [frame, drawn] = await Promise.all([baseFrame(plan, storage, mid), drawLayer(layer, data, ctx)]);
      const c = createCanvas(plan.width, plan.height);
      const g = c.getContext('2d');
      g.drawImage(await loadImage(frame), 0, 0);
      g.drawImage(await loadImage(drawn.png), layer.box.x, layer.box.y);
      const still: Still = { layer: layer.id, type: layer.type, time: (mid * plan.fps.den) / plan.fps.num, png: c.toBuffer('image/png'), warnings: drawn.warnings };
      if (layer.type === 'text') {
        const f = measureFit(layer, resolveLayerText(layer, data));
        still.fit = { fits: f.fits, fontSize: f.fontSize, truncated: f.truncated };
      }
      return still;
    }),
  );
}

/** All stills on one sheet, labelled with layer id and time. */
export async function contactSheet(plan: TemplatePlan, stills: Still[]): Promise<Buffer> {
  const cols = Math.min(3, Math.max(1, stills.length));
  const rows = Math.max(1, Math.ceil(stills.length / cols));
  const w = plan.width >= plan.height ? 480 : 270;
  const h = Math.round((w * plan.height) / plan.width);
  const label = 28;
  const c = createCanvas(cols * w, rows * (h + label));
  const g = c.getContext('2d');
  g.fillStyle = '#111';
  g.fillRect(0, 0, c.width, c.height);
  for (const [i, s] of stills.entries()) {
    const x = (i % cols) * w;
    const y = Math.floor(i / cols) * (h + label);
    g.drawImage(await loadImage(s.png), x, y + label, w, h);
    g.fillStyle = s.warnings.length || (s.fit && !s.fit.fits) ? '#ffb347' : '#fff';
    g.font = '16px "Noto Sans JP"';
    g.fillText(`${s.layer} (${s.type}) @ ${s.time.toFixed(2)}s${s.fit && !s.fit.fits ? ' — does not fit' : ''}`, x + 8, y + 20);
  }
  return c.toBuffer('image/png');
}
