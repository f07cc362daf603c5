// Validates one person's data against a template's declared fields, reporting
// every problem at once with a JSON pointer, and keeps only declared fields
// (MA tools send whole contact records; we store no more than we draw).
// Field names are read as own properties only and results are built from
// entries, so "__proto__" or "constructor" in data can never reach a prototype.
import safeRegex from 'safe-regex2';
import { stripFormatControls } from '../overlays/linebreak.ts';

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'array';

/** Elements of an array field: a scalar spec, or an object with scalar properties (e.g. product cards). */
export type ItemSpec = FieldSpec | { type: 'object'; properties: Record<string, FieldSpec> };

export interface FieldSpec {
  type: FieldType;
  /** For arrays. */
  items?: ItemSpec;
  minItems?: number;
  maxItems?: number;
  required?: boolean;
  description?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: Array<string | number>;
  minimum?: number;
  maximum?: number;
  default?: FieldValue;
  /** Typical value, used for previews and the demo. */
  example?: FieldValue;
  /** Longest / largest value a campaign may send; previews and validation use it. */
  worst?: FieldValue;
}

export type Scalar = string | number | boolean;
export type FieldValue = Scalar | Array<Scalar | Record<string, Scalar>>;

export interface FieldProblem {
  pointer: string;
  message: string;
}

// Drawn text must never carry control characters or characters our fonts lack.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}|[\u{1F1E6}-\u{1F1FF}\u{FE0F}\u{200D}]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Longest string tested against a pattern when a field declares no maxLength (the schema requires one). */
export const MAX_STRING_LENGTH = 1000;

/**
 * Why a field pattern cannot be used: not a regular expression, or one that can
 * backtrack for seconds on a short input ((a+)+, (a|a)*, backreferences). Checked
 * conservatively: a safe pattern may be refused, an unsafe one never passes.
 */
export function patternProblem(pattern: string): { kind: 'invalid'; detail: string } | { kind: 'unsafe' } | undefined {
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    return { kind: 'invalid', detail: (e as Error).message.replace(/^Invalid regular expression: /, '') };
  }
  if (/\\(?:[1-9]|k<)/.test(pattern) || repeatsAlternation(pattern) || !safeRegex(pattern)) return { kind: 'unsafe' };
  return undefined;
}

/** True when a group holding an alternation is repeated without bound: (a|ab)*, (x|y){2,}. */
function repeatsAlternation(re: string): boolean {
  const alt: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') alt.push(false);
    else if (c === '|' && alt.length) alt[alt.length - 1] = true;
    else if (c === ')') {
      const had = alt.pop() ?? false;
      if (had && /^(?:[*+]|\{\d+,\})/.test(re.slice(i + 1))) return true;
      if (had && alt.length) alt[alt.length - 1] = true; // an alternation inside still overlaps in the outer repetition
    }
  }
  return false;
}

const compiledPatterns = new Map<string, RegExp | null>();

/** The field's pattern compiled once; null when it is unusable (a version stored before upload refused such patterns). */
function fieldPattern(pattern: string): RegExp | null {
  let re = compiledPatterns.get(pattern);
  if (re === undefined) {
    re = patternProblem(pattern) ? null : new RegExp(pattern, 'u');
    if (compiledPatterns.size >= 1000) compiledPatterns.clear();
    compiledPatterns.set(pattern, re);
  }
  return re;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function validateData(
  fields: Record<string, FieldSpec>,
  data: unknown,
  base = '/data',
): { value: Record<string, FieldValue>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { value: {}, problems: [{ pointer: base, message: 'must be an object of field values' }] };
  }
  const value = validateObject(fields, data as Record<string, unknown>, base, problems);
  return { value, problems };
}

function validateObject(fields: Record<string, FieldSpec>, input: Record<string, unknown>, base: string, problems: FieldProblem[]): Record<string, FieldValue> {
  const value: Array<[string, FieldValue]> = [];
  for (const [name, spec] of Object.entries(fields)) {
    const ptr = `${base}/${escapePointer(name)}`;
    // Own properties only: a missing "toString" is missing, not Object.prototype.toString.
    const v = hasOwn(input, name) ? input[name] : undefined;
    if (v === undefined || v === null || v === '') {
      if (spec.default !== undefined) value.push([name, spec.default]);
      else if (spec.required) problems.push({ pointer: ptr, message: `is required (${describe(spec)})` });
      continue;
    }
    const ok = validateValue(spec, v, ptr, problems);
    if (ok !== undefined) value.push([name, ok]);
  }
  // fromEntries defines own properties: a field named "__proto__" stays data.
  return Object.fromEntries(value);
}

/** Returns the cleaned value, or undefined (with problems pushed) when invalid. */
function validateValue(spec: FieldSpec, raw: unknown, ptr: string, problems: FieldProblem[]): FieldValue | undefined {
  let v = raw;
  // MA tools often send numbers as strings ("12000"); accept clean numerals.
  if ((spec.type === 'integer' || spec.type === 'number') && typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) {
    v = Number(v.trim());
  }
  switch (spec.type) {
    case 'string':
      return validateString(spec, v, ptr, problems);
    case 'integer':
    case 'number':
      return validateNumber(spec, v, ptr, problems);
    case 'boolean':
      if (typeof v !== 'boolean') {
        problems.push({ pointer: ptr, message: `must be true or false, got ${typeOf(v)}` });
        return undefined;
      }
      return v;
    case 'array':
      return validateArray(spec, v, ptr, problems);
  }
}

function validateString(spec: FieldSpec, v: unknown, ptr: string, problems: FieldProblem[]): string | undefined {
  if (typeof v !== 'string') {
    problems.push({ pointer: ptr, message: `must be a string, got ${typeOf(v)}` });
    return undefined;
  }
  const before = problems.length;
  const max = spec.maxLength ?? MAX_STRING_LENGTH;
  // Far too long in any counting (NFC joins at most a few units per character, as in
  // decomposed Hangul or kana from macOS): refused before normalising or any regex.
  if (v.length > 4 * max) {
    problems.push({ pointer: ptr, message: `must be at most ${max} characters, got more than ${max}` });
    return undefined;
  }
  const s = stripFormatControls(v.normalize('NFC'));
  const len = [...s].length;
  if (LONE_SURROGATE.test(s)) problems.push({ pointer: ptr, message: 'contains an invalid UTF-16 sequence' });
  if (CONTROL.test(s)) problems.push({ pointer: ptr, message: 'contains control characters' });
  if (PICTOGRAPHIC.test(s)) problems.push({ pointer: ptr, message: 'contains emoji, which the template fonts cannot draw' });
  if (spec.minLength !== undefined && len < spec.minLength) problems.push({ pointer: ptr, message: `must be at least ${spec.minLength} characters, got ${len}` });
  if (len > max) problems.push({ pointer: ptr, message: `must be at most ${max} characters, got ${len}` });
  // The pattern runs only on a value within its length limit, and only if it cannot backtrack catastrophically.
  if (spec.pattern !== undefined && len <= max) {
    const re = fieldPattern(spec.pattern);
    if (re === null) problems.push({ pointer: ptr, message: 'cannot be checked: the template\'s pattern for this field is unsafe; upload a fixed template version' });
    else if (!re.test(s)) problems.push({ pointer: ptr, message: `does not match the pattern ${spec.pattern}` });
  }
  if (spec.enum && !spec.enum.includes(s)) problems.push({ pointer: ptr, message: `must be one of ${spec.enum.join(', ')}` });
  return problems.length === before ? s : undefined;
}

function validateNumber(spec: FieldSpec, v: unknown, ptr: string, problems: FieldProblem[]): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    problems.push({ pointer: ptr, message: `must be a ${spec.type}, got ${typeOf(v)}` });
    return undefined;
  }
  const before = problems.length;
  if (spec.type === 'integer' && !Number.isInteger(v)) problems.push({ pointer: ptr, message: `must be an integer, got ${v}` });
  if (spec.minimum !== undefined && v < spec.minimum) problems.push({ pointer: ptr, message: `must be ≥ ${spec.minimum}, got ${v}` });
  if (spec.maximum !== undefined && v > spec.maximum) problems.push({ pointer: ptr, message: `must be ≤ ${spec.maximum}, got ${v}` });
  if (spec.enum && !spec.enum.includes(v)) problems.push({ pointer: ptr, message: `must be one of ${spec.enum.join(', ')}` });
  return problems.length === before ? v : undefined;
}

function validateArray(spec: FieldSpec, v: unknown, ptr: string, problems: FieldProblem[]): FieldValue | undefined {
  if (!Array.isArray(v)) {
    problems.push({ pointer: ptr, message: `must be an array, got ${typeOf(v)}` });
    return undefined;
  }
  const before = problems.length;
  if (spec.minItems !== undefined && v.length < spec.minItems) problems.push({ pointer: ptr, message: `must have at least ${spec.minItems} items, got ${v.length}` });
  if (spec.maxItems !== undefined && v.length > spec.maxItems) {
    problems.push({ pointer: ptr, message: `must have at most ${spec.maxItems} items, got ${v.length}` });
    return undefined; // don't walk a huge array
  }
  const out: Array<Scalar | Record<string, Scalar>> = [];
  v.forEach((el, i) => {
    const p = `${ptr}/${i}`;
    const item = spec.items;
    if (!item) return problems.push({ pointer: ptr, message: 'the template declares no item type for this array' });
    if (item.type === 'object') {
      if (typeof el !== 'object' || el === null || Array.isArray(el)) return problems.push({ pointer: p, message: `must be an object, got ${typeOf(el)}` });
      out.push(validateObject(item.properties, el as Record<string, unknown>, p, problems) as Record<string, Scalar>);
    } else {
      if (el === undefined || el === null || el === '') return problems.push({ pointer: p, message: 'must not be empty' });
      const ok = validateValue(item, el, p, problems);
      if (ok !== undefined) out.push(ok as Scalar);
    }
  });
  return problems.length === before ? out : undefined;
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : typeof v;
}

function describe(spec: FieldSpec): string {
  const bits: string[] = [spec.type];
  if (spec.maxLength !== undefined) bits.push(`up to ${spec.maxLength} characters`);
  if (spec.minimum !== undefined || spec.maximum !== undefined) bits.push(`${spec.minimum ?? '-∞'}..${spec.maximum ?? '∞'}`);
  return bits.join(', ');
}

/** The example record declared by the template (used by the demo link and previews). */
export function exampleData(fields: Record<string, FieldSpec>): Record<string, FieldValue> {
  const out: Array<[string, FieldValue]> = [];
  for (const [k, f] of Object.entries(fields)) {
    const v = f.example ?? f.default;
    if (v !== undefined) out.push([k, v]);
  }
  return Object.fromEntries(out);
}

/** The worst-case record: each field's declared `worst`, else one derived from its limits. */
export function worstData(fields: Record<string, FieldSpec>): Record<string, FieldValue> {
  const out: Array<[string, FieldValue]> = [];
  for (const [k, f] of Object.entries(fields)) {
    const v = f.worst ?? derivedWorst(f);
    if (v !== undefined) out.push([k, v]);
  }
  return Object.fromEntries(out);
}

// Derived worst cases must be values the field accepts (the worst case of an enum is one
// of its values, of a pattern a string it matches), or a preview shows what no one can send.
function derivedWorst(f: FieldSpec): FieldValue | undefined {
  switch (f.type) {
    case 'string':
      if (f.enum?.length) return widest(f.enum.map(String));
      if (f.maxLength === undefined) return f.example;
      return widestMatching(f) ?? f.example;
    case 'integer':
    case 'number': {
      if (f.enum?.length) return widest(f.enum.filter((v): v is number => typeof v === 'number'));
      const int = f.type === 'integer';
      // The bound drawn widest: -1000000 is wider than 100.
      const ends = [f.maximum === undefined ? undefined : int ? Math.floor(f.maximum) : f.maximum, f.minimum === undefined ? undefined : int ? Math.ceil(f.minimum) : f.minimum].filter((v): v is number => v !== undefined);
      return ends.length ? widest(ends) : f.example;
    }
    case 'boolean':
      return f.example ?? true;
    case 'array': {
      const n = f.maxItems ?? (Array.isArray(f.example) ? f.example.length : 1);
      const item = f.items;
      if (!item) return f.example;
      const one = item.type === 'object' ? (Object.fromEntries(Object.entries(item.properties).map(([k, p]) => [k, derivedWorst(p)]).filter(([, v]) => v !== undefined)) as Record<string, Scalar>) : (derivedWorst(item) as Scalar);
      return Array.from({ length: n }, () => one);
    }
  }
}

/** Columns a string takes when drawn: full-width (CJK, kana, full-width forms) 2, others 1. Cheap, close enough to rank values. */
export function drawnWidth(s: string): number {
  let w = 0;
  for (const c of s) w += /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]/u.test(c) ? 2 : 1;
  return w;
}

/** The value drawn widest (the first of equals, so a declared order decides ties). */
function widest<T extends string | number>(values: T[]): T | undefined {
  let best: T | undefined;
  for (const v of values) if (best === undefined || drawnWidth(String(v)) > drawnWidth(String(best))) best = v;
  return best;
}

// Widest first: a full-width kanji, a full-width letter, then half-width letters and digits.
const WORST_CHARS = ['髙', 'Ｗ', 'W', 'M', 'm', '9', '0'];

/** The widest string of one repeated character the field accepts, longest first; undefined when none fits its pattern. */
function widestMatching(f: FieldSpec): string | undefined {
  const max = f.maxLength!;
  if (f.pattern === undefined) return '髙'.repeat(max);
  const re = fieldPattern(f.pattern);
  if (!re) return undefined;
  let best: string | undefined;
  // Bounded work whatever maxLength says: about 4 million characters tested (a few ms), the longest lengths first.
  let budget = 4_000_000;
  for (let len = max; len >= Math.max(1, f.minLength ?? 1) && (len === max || budget > 0); len--) {
    budget -= len * WORST_CHARS.length;
    for (const c of WORST_CHARS) {
      const s = c.repeat(len);
      if (re.test(s) && (best === undefined || drawnWidth(s) > drawnWidth(best))) best = s;
    }
    // A shorter run of a full-width character can still be wider, so stop only when nothing shorter can win.
    if (best !== undefined && drawnWidth(best) >= 2 * (len - 1)) break;
  }
  return best;
}
