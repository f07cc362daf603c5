// A template folder written for a test (or a benchmark): a testsrc2 clip encoded
// ultrafast and a template.json over it. Small by default (320x180, 3 s) so tests
// stay fast; prepared versions are cached by content, so the same spec prepares once.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runFfmpeg } from '../../src/video/ffmpeg.ts';

export interface TinyTemplate {
  id: string;
  name: string;
  fields: Record<string, unknown>;
  /** Default: one text layer from 1 s to 2 s (textLayer). */
  layers?: unknown[];
  size?: string;
  seconds?: number;
}

/** The one overlay most tests need: white text over second 1 to 2. */
export function textLayer(text: string, fontSize = 24): Record<string, unknown> {
  return { id: 'hi', type: 'text', start: 1, end: 2, box: { x: 10, y: 60, width: 300, height: 60 }, text, style: { fontSize, color: '#ffffff' } };
}

/** Writes <templatesDir>/<id>/{clip.mp4,template.json}; returns that folder. */
export async function writeTinyTemplate(templatesDir: string, spec: TinyTemplate): Promise<string> {
  const dir = path.join(templatesDir, spec.id);
  mkdirSync(dir, { recursive: true });
  await runFfmpeg(['-y', '-f', 'lavfi', '-i', `testsrc2=s=${spec.size ?? '320x180'}:r=25`, '-t', String(spec.seconds ?? 3), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path.join(dir, 'clip.mp4')]);
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify({
    id: spec.id, name: spec.name, video: { file: 'clip.mp4' }, encoder: { preset: 'ultrafast' }, fields: spec.fields,
    layers: spec.layers ?? [textLayer('{{name}} {{amount}}')],
  }));
  return dir;
}

/** What campaign CSV rows carry (the batch tests and bench/batch.ts): a name, an amount, product cards from a catalog. */
export function campaignFields(nameMaxLength: number): Record<string, unknown> {
  return {
    name: { type: 'string', required: true, maxLength: nameMaxLength },
    amount: { type: 'integer', required: true },
    items: { type: 'array', maxItems: 3, items: { type: 'object', properties: { name: { type: 'string', required: true, maxLength: 30 }, price: { type: 'integer' } } } },
  };
}
