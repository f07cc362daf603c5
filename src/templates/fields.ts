// Validates one person's data against a template's declared fields, reporting
// every problem at once with a JSON pointer, and keeps only declared fields
// (MA tools send whole contact records; we store no more than we draw).

export type FieldType = 'string' | 'integer' | 'number' | 'boolean';

export interface FieldSpec {
  type: FieldType;
  required?: boolean;
  description?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: Array<string | number>;
  minimum?: number;
  maximum?: number;
  default?: string | number | boolean;
  /** Typical value, used for previews and the demo. */
  example?: string | number | boolean;
  /** Longest / largest value a campaign may send; previews and validation use it. */
  worst?: string | number | boolean;
}

export interface FieldProblem {
  pointer: string;
  message: string;
}

// Drawn text must never carry control characters or characters our fonts lack.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}|[\u{1F1E6}-\u{1F1FF}\u{FE0F}\u{200D}]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function validateData(
  fields: Record<string, FieldSpec>,
  data: unknown,
  base = '/data',
): { value: Record<string, string | number | boolean>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const value: Record<string, string | number | boolean> = {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { value, problems: [{ pointer: base, message: 'must be an object of field values' }] };
  }
  const input = data as Record<string, unknown>;
  for (const [name, spec] of Object.entries(fields)) {
    const ptr = `${base}/${escapePointer(name)}`;
    let v = input[name];
    if (v === undefined || v === null || v === '') {
      if (spec.default !== undefined) value[name] = spec.default;
      else if (spec.required) problems.push({ pointer: ptr, message: `is required (${describe(spec)})` });
      continue;
    }
    // MA tools often send numbers as strings ("12000"); accept clean numerals.
    if ((spec.type === 'integer' || spec.type === 'number') && typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) {
      v = Number(v.trim());
    }
    const before = problems.length;
    switch (spec.type) {
      case 'string': {
        if (typeof v !== 'string') {
          problems.push({ pointer: ptr, message: `must be a string, got ${typeOf(v)}` });
          break;
        }
        const s = v.normalize('NFC');
        const len = [...s].length;
        if (LONE_SURROGATE.test(s)) problems.push({ pointer: ptr, message: 'contains an invalid UTF-16 sequence' });
        if (CONTROL.test(s)) problems.push({ pointer: ptr, message: 'contains control characters' });
        if (PICTOGRAPHIC.test(s)) problems.push({ pointer: ptr, message: 'contains emoji, which the template fonts cannot draw' });
        if (spec.minLength !== undefined && len < spec.minLength) problems.push({ pointer: ptr, message: `must be at least ${spec.minLength} characters, got ${len}` });
        if (spec.maxLength !== undefined && len > spec.maxLength) problems.push({ pointer: ptr, message: `must be at most ${spec.maxLength} characters, got ${len}` });
        if (spec.pattern !== undefined && !new RegExp(spec.pattern, 'u').test(s)) problems.push({ pointer: ptr, message: `does not match the pattern ${spec.pattern}` });
        if (spec.enum && !spec.enum.includes(s)) problems.push({ pointer: ptr, message: `must be one of ${spec.enum.join(', ')}` });
        if (problems.length === before) value[name] = s;
        break;
      }
      case 'integer':
      case 'number': {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          problems.push({ pointer: ptr, message: `must be a ${spec.type}, got ${typeOf(v)}` });
          break;
        }
        if (spec.type === 'integer' && !Number.isInteger(v)) problems.push({ pointer: ptr, message: `must be an integer, got ${v}` });
        if (spec.minimum !== undefined && v < spec.minimum) problems.push({ pointer: ptr, message: `must be ≥ ${spec.minimum}, got ${v}` });
        if (spec.maximum !== undefined && v > spec.maximum) problems.push({ pointer: ptr, message: `must be ≤ ${spec.maximum}, got ${v}` });
        if (spec.enum && !spec.enum.includes(v)) problems.push({ pointer: ptr, message: `must be one of ${spec.enum.join(', ')}` });
        if (problems.length === before) value[name] = v;
        break;
      }
      case 'boolean':
        if (typeof v !== 'boolean') problems.push({ pointer: ptr, message: `must be true or false, got ${typeOf(v)}` });
        else value[name] = v;
        break;
    }
  }
  return { value, problems };
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
export function exampleData(fields: Record<string, FieldSpec>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, f] of Object.entries(fields)) {
    const v = f.example ?? f.default;
    if (v !== undefined) out[k] = v;
  }
  return out;
}
