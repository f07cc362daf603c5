// Payload → template data. MA tools send what they hold, in their shapes: names
// split into family and given name, numbers as strings ("１２５,０００", "¥12,000"),
// lists as "a;b", product ids instead of product cards. A mapping says where each
// template field comes from; values are normalised towards the field's declared
// type, and validateData (the one validation path) then judges the result.
import type { FieldSpec, ItemSpec } from '../templates/fields.ts';

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Where a template field's value comes from:
 * - "/a/b" (JSON pointer) or "a.b.0" (dotted path) into the payload;
 * - { path, default? };
 * - { join: [paths], sep?: " ", default? }: the non-empty parts joined (e.g. family name first);
 * - { value }: a literal;
 * - { skus: <path or spec>, default? }: product ids turned into cards by the template's catalog.
 */
export type SourceSpec =
  | string
  | { path: string; default?: unknown }
  | { join: string[]; sep?: string; default?: unknown }
  | { value: unknown }
  | { skus: string | { path: string } | { join: string[]; sep?: string } };

export const SPEC_FORMS = 'a path ("/a/b" or "a.b") or an object with one of "path", "join" (with "sep"), "value", "skus", and optionally "default"';

const isPath = (p: unknown) => typeof p === 'string' && p.length >= 1 && p.length <= 300;
const isSep = (s: unknown) => s === undefined || (typeof s === 'string' && s.length <= 10);

/** What is wrong with a source spec as configured (connector or batch mapping), at its pointer. */
export function specProblems(spec: unknown, pointer: string, allowSkus = true): Array<{ pointer: string; message: string }> {
  const bad = (message: string, at = '') => [{ pointer: pointer + at, message }];
  if (typeof spec === 'string') return isPath(spec) ? [] : bad('must be a path of 1-300 characters');
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return bad(`must be ${SPEC_FORMS}`);
  const o = spec as Record<string, unknown>;
  const forms = ['path', 'join', 'value', ...(allowSkus ? ['skus'] : [])].filter((k) => hasOwn(o, k));
  if (forms.length !== 1) return bad(`must have exactly one of "path", "join", "value"${allowSkus ? ', "skus"' : ''}`);
  const extra = Object.keys(o).find((k) => k !== forms[0] && k !== 'default' && !(k === 'sep' && forms[0] === 'join'));
  if (extra) return bad(`is not allowed with "${forms[0]}"`, `/${extra}`);
  switch (forms[0]) {
    case 'path':
      return isPath(o.path) ? [] : bad('must be a path of 1-300 characters', '/path');
    case 'join':
      if (!Array.isArray(o.join) || o.join.length < 1 || o.join.length > 10 || !o.join.every(isPath)) return bad('must be a list of 1-10 paths', '/join');
      return isSep(o.sep) ? [] : bad('must be a string of at most 10 characters', '/sep');
    case 'skus':
      return hasOwn(o, 'default') ? bad('is not allowed with "skus"', '/default') : specProblems(o.skus, `${pointer}/skus`, false);
    default:
      return [];
  }
}

/** A card as the items layer draws it. */
export interface Card {
  name: string;
  price?: number;
  image?: string;
  badge?: string;
}

/** sku → card, or undefined when the catalog does not know it. */
export type CatalogLookup = (skus: string[]) => Promise<Array<Card | undefined>>;

export interface Mapped {
  data: Record<string, unknown>;
  warnings: string[];
  /** Field → the source it was read from, for 422 messages ("from /lastname"). */
  sources: Record<string, string>;
}


/** Reads a JSON pointer ("/a/0/b", RFC 6901 escapes) or a dotted path ("a.0.b"); own properties only. */
export function readPath(payload: unknown, path: string): unknown {
  const parts = path.startsWith('/') ? path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')) : path === '' ? [] : path.split('.');
  let cur: unknown = payload;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || !hasOwn(cur, p)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Empty strings, whitespace-only strings, null and empty arrays count as missing. */
export function isMissing(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

/**
 * A number sent as text: NFKC (full-width digits and signs), thousands separators,
 * a currency sign or 円, spaces. Returns the text unchanged when it is not a number,
 * so validation reports it.
 */
export function toNumberish(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.normalize('NFKC').replace(/[\s,_]/g, '').replace(/^[¥$€£]/, '').replace(/円$/, '');
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s) ? Number(s) : v;
}

function toBooleanish(v: unknown): unknown {
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : v;
  if (typeof v !== 'string') return v;
  const s = v.normalize('NFKC').trim().toLowerCase();
  if (['true', '1', 'yes', 'y', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'n', 'off'].includes(s)) return false;
  return v;
}

/** "a;b", "a,b", "a、b" (NFKC folds full-width ；，) → ["a","b"]; ";" wins when present, so "1,200;980" splits on ";". */
export function toList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v !== 'string') return [v];
  const s = v.normalize('NFKC');
  const parts = /;/.test(s) ? s.split(';') : s.split(/[,、]/);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** A value towards the declared type; anything that does not fit is left for validateData to report. */
export function normalize(spec: FieldSpec | ItemSpec, v: unknown): unknown {
  if (isMissing(v)) return undefined;
  switch (spec.type) {
    case 'integer':
    case 'number':
      return toNumberish(v);
    case 'boolean':
      return toBooleanish(v);
    case 'string':
      return typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v.trim() : v;
    case 'array':
      return spec.items ? toList(v).map((x) => normalize(spec.items!, x)).filter((x) => x !== undefined) : toList(v);
    case 'object': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.entries(spec.properties).filter(([k]) => hasOwn(o, k)).map(([k, s]) => [k, normalize(s, o[k])]).filter(([, x]) => x !== undefined));
    }
    default:
      return v;
  }
}

function describeSource(spec: SourceSpec): string {
  if (typeof spec === 'string') return spec;
  if ('path' in spec) return spec.path;
  if ('join' in spec) return spec.join.join(' + ');
  if ('skus' in spec) return `skus from ${describeSource(spec.skus as SourceSpec)}`;
  return 'a literal';
}

function readSpec(payload: unknown, spec: SourceSpec): unknown {
  if (typeof spec === 'string') return readPath(payload, spec);
  if ('value' in spec) return spec.value;
  if ('path' in spec) return readPath(payload, spec.path);
  if ('join' in spec) {
    const parts = spec.join.map((p) => readPath(payload, p)).filter((x) => !isMissing(x)).map((x) => String(x).trim());
    return parts.length ? parts.join(spec.sep ?? ' ') : undefined;
  }
  return readSpec(payload, spec.skus as SourceSpec);
}

/** A mapped source, with its default when the payload lacks it. */
export function resolveSpec(payload: unknown, spec: SourceSpec): unknown {
  const v = readSpec(payload, spec);
  if (!isMissing(v)) return v;
  return typeof spec === 'object' && 'default' in spec ? spec.default : undefined;
}

/**
 * Builds template data from a payload. Fields without a mapping entry read /<field>.
 * Sku sources are looked up in the catalog; unknown skus are dropped with a warning.
 */
export async function mapPayload(fields: Record<string, FieldSpec>, mapping: Record<string, SourceSpec>, payload: unknown, catalog?: CatalogLookup): Promise<Mapped> {
  const data: Record<string, unknown> = {};
  const warnings: string[] = [];
  const sources: Record<string, string> = {};
  for (const [name, field] of Object.entries(fields)) {
    const spec: SourceSpec = hasOwn(mapping, name) ? mapping[name]! : `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    sources[name] = describeSource(spec);
    let v = resolveSpec(payload, spec);
    if (typeof spec === 'object' && 'skus' in spec && !isMissing(v)) {
      const skus = toList(v).map((s) => String(s).normalize('NFKC').trim()).filter(Boolean);
      const cards = catalog ? await catalog(skus) : skus.map(() => undefined);
      const unknown = skus.filter((_, i) => !cards[i]);
      if (unknown.length) warnings.push(`${name}: ${unknown.length} sku(s) not in the catalog, dropped: ${unknown.join(', ')}`);
      v = cards.filter((c): c is Card => !!c);
      if (field.maxItems !== undefined && (v as Card[]).length > field.maxItems) {
        warnings.push(`${name}: only the first ${field.maxItems} known sku(s) are shown`);
        v = (v as Card[]).slice(0, field.maxItems);
      }
    }
    const n = normalize(field, v);
    if (n !== undefined) data[name] = n;
  }
  return { data, warnings, sources };
}
