// The template manifest (template.json): base video, data fields, overlay
// layers. One validation path: the JSON schema, then the semantic checks;
// every problem has a JSON pointer and English and Japanese messages.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Layer } from '../overlays/types.ts';
import type { FieldSpec, FieldProblem } from './fields.ts';
import { validateManifestSchema } from './package/schema.ts';
import { problemAt, type Problem } from './package/problems.ts';
import { semanticProblems } from './manifest-checks.ts';
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
  /** The watch page around the video (docs/templates.md, "Watch page"). */
  watch?: WatchSettings;
}

export interface WatchSettings {
  /** Plain text (crawlers read it: no personal data): page title and og:title. */
  title?: string;
  /** Plain text: meta description and og:description. */
  description?: string;
  /** Seconds: the poster frame. */
  poster_time?: number;
  /** The page's language; 'ja' unless set. */
  lang?: string;
  cta?: {
    /** Handlebars over the data. */
    label: string;
    /** Handlebars over the data; an http(s) URL once filled in. */
    url: string;
    /** Seconds: when the button appears (it is shown at the end too). */
    at?: number;
  };
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
    throw new ManifestError([problemAt('', 'manifest_missing', { file: MANIFEST_FILE })]);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new ManifestError([problemAt('', 'manifest_not_json', { file: MANIFEST_FILE, detail: (e as Error).message })]);
  }
  const problems = validateManifest(json);
  if (problems.length) throw new ManifestError(problems);
  return json as Manifest;
}

/**
 * Every problem of a parsed template.json that needs no files: the schema
 * (docs/template.schema.json) and then what a schema cannot say
 * (manifest-checks.ts). A semantic problem at or inside a place the schema
 * already faulted is left out, so each mistake is reported once.
 */
export function validateManifest(m: unknown): Problem[] {
  const schema = validateManifestSchema(m);
  const related = (x: string, y: string) => x === y || x.startsWith(y + '/') || y.startsWith(x + '/');
  return [...schema, ...semanticProblems(m).filter((sp) => !schema.some((q) => related(q.pointer, sp.pointer)))];
}

/** Carries the manifest's locale onto its text layers, so helpers format for it. */
export function applyLocale(m: Manifest): void {
  if (!m.locale) return;
  for (const l of m.layers) if (l.type === 'text') l.locale = m.locale;
}

export function encoderSettings(m: Manifest): EncoderSettings {
  return { ...DEFAULT_ENCODER, ...(m.encoder ?? {}) };
}
