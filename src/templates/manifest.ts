// The template manifest (template.json): base video, data fields, overlay
// layers. Validation reports every problem with a JSON pointer.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Layer } from '../overlays/types.ts';
import { compileText, TemplateSyntaxError } from '../overlays/handlebars.ts';
import { escapePointer, type FieldSpec, type FieldProblem } from './fields.ts';
import type { EncoderSettings } from '../video/encoder.ts';

export const DEFAULT_ENCODER: EncoderSettings = {
  preset: 'veryfast',
  crf: 21,
  maxrateKbps: 4500,
  bufsizeKbps: 9000,
  profile: 'high',
  bframes: 2,
  audioBitrateKbps: 128,
};

export interface Manifest {
  $schema?: string;
  id: string;
  name: string;
  description?: string;
  locale?: string;
  video: { file: string };
  output?: { width?: number; height?: number; fps?: number };
  encoder?: Partial<EncoderSettings>;
  /** Packaged fonts; text styles refer to them by family. Noto Sans JP is always available. */
  fonts?: Array<{ family: string; file: string; weight?: 400 | 700 }>;
  fields: Record<string, FieldSpec>;
  layers: Layer[];
}

export class ManifestError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(`template manifest has ${problems.length} problem(s): ${problems.map((p) => `${p.pointer} ${p.message}`).join('; ')}`);
  }
}

export const MANIFEST_FILE = 'template.json';

export async function loadManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch {
    throw new ManifestError([{ pointer: '', message: `${MANIFEST_FILE} not found in ${dir}` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new ManifestError([{ pointer: '', message: `${MANIFEST_FILE} is not valid JSON: ${(e as Error).message}` }]);
  }
  const problems = validateManifest(json);
  if (problems.length) throw new ManifestError(problems);
  return json as Manifest;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Structural checks that need no video; checks against the video happen in prepare. */
export function validateManifest(m: unknown): FieldProblem[] {
  const p: FieldProblem[] = [];
  const add = (pointer: string, message: string) => p.push({ pointer, message });
  if (!isObj(m)) return [{ pointer: '', message: 'manifest must be a JSON object' }];
  if (typeof m.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(m.id)) add('/id', 'must be 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit');
  if (typeof m.name !== 'string' || !m.name) add('/name', 'must be a non-empty string');
  if (!isObj(m.video) || typeof m.video.file !== 'string' || !/^[^/\\]+$/.test(m.video.file)) add('/video/file', 'must name the base video file inside the template folder');
  if (m.output !== undefined) {
    if (!isObj(m.output)) add('/output', 'must be an object');
    else {
      for (const k of ['width', 'height'] as const) {
        const v = m.output[k];
        if (v !== undefined && (!Number.isInteger(v) || (v as number) < 16 || (v as number) > 1920 || (v as number) % 2 !== 0)) add(`/output/${k}`, 'must be an even integer from 16 to 1920');
      }
      if (m.output.fps !== undefined && (!isNum(m.output.fps) || m.output.fps <= 0 || m.output.fps > 60)) add('/output/fps', 'must be a number from 1 to 60');
    }
  }
  if (m.encoder !== undefined) {
    if (!isObj(m.encoder)) add('/encoder', 'must be an object');
    else {
      const e = m.encoder;
      if (e.crf !== undefined && (!isNum(e.crf) || e.crf < 0 || e.crf > 51)) add('/encoder/crf', 'must be 0-51');
      if (e.preset !== undefined && !['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'].includes(e.preset as string)) add('/encoder/preset', 'must be an x264 preset from ultrafast to slow');
      if (e.bframes !== undefined && (!Number.isInteger(e.bframes) || (e.bframes as number) < 0 || (e.bframes as number) > 4)) add('/encoder/bframes', 'must be 0-4');
    }
  }
  const fieldNames = new Set<string>();
  if (!isObj(m.fields)) add('/fields', 'must be an object mapping field names to their specs');
  else {
    for (const [name, f] of Object.entries(m.fields)) {
      const ptr = `/fields/${escapePointer(name)}`;
      fieldNames.add(name);
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) add(ptr, 'field names must be identifiers (letters, digits, _)');
      if (!isObj(f)) {
        add(ptr, 'must be an object');
        continue;
      }
      if (!['string', 'integer', 'number', 'boolean', 'array'].includes(f.type as string)) add(`${ptr}/type`, 'must be one of string, integer, number, boolean, array');
      if (f.type === 'array' && !isObj(f.items)) add(`${ptr}/items`, 'array fields need "items": the type of their elements');
      if (f.type === 'string' && f.maxLength === undefined) add(`${ptr}/maxLength`, 'string fields need a maxLength so the longest value can be checked against its box');
      if (f.pattern !== undefined) {
        try {
          new RegExp(f.pattern as string, 'u');
        } catch {
          add(`${ptr}/pattern`, 'is not a valid regular expression');
        }
      }
    }
  }
  if (!Array.isArray(m.layers)) add('/layers', 'must be an array of overlay layers');
  else {
    const ids = new Set<string>();
    m.layers.forEach((l: unknown, i: number) => {
      const ptr = `/layers/${i}`;
      if (!isObj(l)) return add(ptr, 'must be an object');
      if (typeof l.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(l.id)) add(`${ptr}/id`, 'must be 1-64 of A-Z a-z 0-9 _ -');
      else if (ids.has(l.id)) add(`${ptr}/id`, `duplicate layer id "${l.id}"`);
      else ids.add(l.id);
      if (!['text', 'svg', 'image', 'items', 'chart'].includes(l.type as string)) add(`${ptr}/type`, 'must be one of text, svg, image, items, chart');
      if (!isNum(l.start) || l.start < 0) add(`${ptr}/start`, 'must be a number of seconds ≥ 0');
      if (!isNum(l.end) || (isNum(l.start) && l.end <= l.start)) add(`${ptr}/end`, 'must be a number of seconds after start');
      if (!isObj(l.box) || !['x', 'y', 'width', 'height'].every((k) => Number.isInteger((l.box as Record<string, unknown>)[k]))) add(`${ptr}/box`, 'must have integer x, y, width, height');
      else if ((l.box.width as number) <= 0 || (l.box.height as number) <= 0) add(`${ptr}/box`, 'width and height must be positive');
      const arrayField = (name: unknown, where: string) => {
        const f = isObj(m.fields) ? (m.fields as Record<string, Record<string, unknown>>)[name as string] : undefined;
        if (typeof name !== 'string' || !f) add(where, `refers to unknown field "${String(name)}"`);
        else if (f.type !== 'array') add(where, `field "${name}" must be an array field`);
      };
      if (l.type === 'items') arrayField(l.field, `${ptr}/field`);
      if (l.type === 'chart') {
        if (!Array.isArray(l.series) || l.series.length === 0) add(`${ptr}/series`, 'needs at least one series');
        else l.series.forEach((se: unknown, k: number) => arrayField(isObj(se) ? se.field : undefined, `${ptr}/series/${k}/field`));
      }
      if (l.type !== 'text') return;
      if (typeof l.text !== 'string') add(`${ptr}/text`, 'must be a Handlebars string');
      else {
        try {
          compileText(l.text);
        } catch (e) {
          if (e instanceof TemplateSyntaxError) add(`${ptr}/text`, e.message);
          else throw e;
        }
        for (const ref of l.text.matchAll(/\{\{[#/]?(?:[a-zA-Z]+\s+)?([A-Za-z_][A-Za-z0-9_]*)/g)) {
          const name = ref[1]!;
          if (!fieldNames.has(name) && !KNOWN_HELPERS.has(name)) add(`${ptr}/text`, `refers to unknown field "${name}"`);
        }
      }
      if (!isObj(l.style) || !isNum(l.style.fontSize) || typeof l.style.color !== 'string') add(`${ptr}/style`, 'must have fontSize (px) and color');
      if (l.fade !== undefined) {
        if (!isObj(l.fade)) add(`${ptr}/fade`, 'must be an object with in/out seconds');
        else for (const k of ['in', 'out'] as const) if (l.fade[k] !== undefined && (!isNum(l.fade[k]) || (l.fade[k] as number) < 0)) add(`${ptr}/fade/${k}`, 'must be seconds ≥ 0');
      }
    });
  }
  return p;
}

const KNOWN_HELPERS = new Set(['yen', 'number', 'percent', 'date', 'default', 'if', 'unless', 'each', 'with', 'else', 'this']);

/** Carries the manifest's locale onto its text layers, so helpers format for it. */
export function applyLocale(m: Manifest): void {
  if (!m.locale) return;
  for (const l of m.layers) if (l.type === 'text') l.locale = m.locale;
}

export function encoderSettings(m: Manifest): EncoderSettings {
  return { ...DEFAULT_ENCODER, ...(m.encoder ?? {}) };
}
