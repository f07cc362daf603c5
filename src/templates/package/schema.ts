// Validates template.json against docs/template.schema.json (the same schema
// editors use) and turns ajv's errors into one clear problem per place, in
// English and Japanese. Messages come from the schema's errorMessage /
// errorMessage_ja annotations where present, else from the failing keyword.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../config/index.ts';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { escapeToken, problem, type Problem } from './problems.ts';
import { KEYWORD_MESSAGES, type Bilingual } from './messages.ts';

export const SCHEMA_FILE = path.join(PROJECT_ROOT, 'docs/template.schema.json');

export const LAYER_TYPES = ['text', 'svg', 'image', 'items', 'chart'] as const;

type SchemaNode = Record<string, unknown> & {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  allOf?: SchemaNode[];
  errorMessage?: string;
  errorMessage_ja?: string;
};

interface Compiled {
  schema: SchemaNode;
  validate: ValidateFunction;
  layers: Map<string, ValidateFunction>;
}

let compiled: Compiled | undefined;

function compile(): Compiled {
  if (compiled) return compiled;
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as SchemaNode;
  indexParents(schema);
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true, // gives each error its parentSchema (for errorMessage) and data (for "got …")
    strict: true,
    strictTypes: false, // shared pattern-only defs (imageExt) and if/then branches carry no "type" on purpose
    strictRequired: false, // if/then branches require properties declared by the enclosing schema
    allowUnionTypes: true,
  });
  ajv.addVocabulary(['errorMessage', 'errorMessage_ja']);
  const validate = ajv.compile(schema);
  const id = schema.$id as string;
  // Each layer is validated again against its own type's definition, so a
  // text layer is never told what an svg layer would have needed (oneOf noise).
  const layers = new Map<string, ValidateFunction>();
  for (const t of LAYER_TYPES) {
    const v = ajv.getSchema(`${id}#/$defs/${t}Layer`);
    if (!v) throw new Error(`${SCHEMA_FILE} has no $defs/${t}Layer`);
    layers.set(t, v);
  }
  compiled = { schema, validate, layers };
  return compiled;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every schema problem of a parsed template.json, at most one per JSON pointer. */
export function validateManifestSchema(json: unknown): Problem[] {
  const { schema, validate, layers } = compile();
  let errors: ErrorObject[] = validate(json) ? [] : [...(validate.errors ?? [])];
  if (!isObj(json) || !Array.isArray(json.layers)) return toProblems(errors, schema);
  // Layers are reported from their own type's definition, in layer order, after the rest.
  const layerProblems: Problem[] = [];
  const under = (e: ErrorObject, p: string) => e.instancePath === p || e.instancePath.startsWith(`${p}/`);
  const types = LAYER_TYPES.join(', ');
  json.layers.forEach((layer: unknown, i: number) => {
    const at = `/layers/${i}`;
    errors = errors.filter((e) => !under(e, at));
    if (!isObj(layer)) {
      layerProblems.push(problem(at, `must be a layer object { "id", "type", "start", "end", "box", … }${got(layer)}`, `レイヤーのオブジェクト（{ "id", "type", "start", "end", "box", … }）を指定してください${gotJa(layer)}`));
      return;
    }
    if (layer.type === undefined) {
      layerProblems.push(problem(`${at}/type`, `"type" is required — it must be one of ${types}`, `「type」は必須です。${LAYER_TYPES.join('、')} のいずれかを指定してください`));
      return;
    }
    const v = typeof layer.type === 'string' ? layers.get(layer.type) : undefined;
    if (!v) {
      // Without a known type the other properties cannot be judged; the type is fixed first.
      layerProblems.push(problem(`${at}/type`, `must be one of ${types}${got(layer.type)}`, `${LAYER_TYPES.join('、')} のいずれかを指定してください${gotJa(layer.type)}`));
      return;
    }
    if (!v(layer)) layerProblems.push(...toProblems((v.errors ?? []).map((e) => ({ ...e, instancePath: at + e.instancePath })), schema));
  });
  return [...toProblems(errors, schema), ...layerProblems];
}

interface Candidate extends Problem {
  /** 0: the value itself is wrong; 1: a combinator (anyOf) summary, used only when nothing more precise is said. */
  rank: number;
}

function toProblems(errors: ErrorObject[], root: SchemaNode): Problem[] {
  // Errors inside an anyOf that has its own message are said by that message.
  const covered = errors.filter((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && msgOf(e.parentSchema)).map((e) => `${e.schemaPath}/`);
  const out: Candidate[] = [];
  for (const e of errors) {
    if (covered.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
    const c = candidate(e, root);
    if (c) out.push(c);
  }
  // One problem per place: the most precise one, first reported.
  const best = new Map<string, Candidate>();
  for (const c of out) {
    const prev = best.get(c.pointer);
    if (!prev || c.rank < prev.rank) best.set(c.pointer, c);
  }
  // A vague summary is dropped when something more precise is said about the same value or inside it.
  const all = [...best.values()];
  return all
    .filter((c) => c.rank === 0 || !all.some((o) => o !== c && o.rank === 0 && (o.pointer === c.pointer || o.pointer.startsWith(`${c.pointer}/`))))
    .map(({ pointer, message, message_ja }) => ({ pointer, message, message_ja }));
}

function msgOf(node: unknown): { en: string; ja: string } | undefined {
  if (!isObj(node) || typeof node.errorMessage !== 'string') return undefined;
  return { en: node.errorMessage, ja: typeof node.errorMessage_ja === 'string' ? node.errorMessage_ja : node.errorMessage };
}

function candidate(e: ErrorObject, root: SchemaNode): Candidate | undefined {
  const params = e.params as Record<string, unknown>;
  const here = e.instancePath;
  // Inner errors of propertyNames repeat what the propertyNames error says.
  if ((e as { propertyName?: string }).propertyName !== undefined) return undefined;
  switch (e.keyword) {
    case 'if':
      return undefined; // "must match then schema": the then-branch's own errors say what is wrong
    case 'required': {
      const name = String(params.missingProperty);
      const hint = msgOf(propertySchema(e.parentSchema, name, root) ?? declaredAbove(e.parentSchema, name, root));
      const m = KEYWORD_MESSAGES.required!({ name, hint });
      return { pointer: `${here}/${escapeToken(name)}`, message: m.en, message_ja: m.ja, rank: 0 };
    }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = String(params.additionalProperty ?? params.unevaluatedProperty);
      const allowed = allowedProperties(e.parentSchema, root);
      const m = KEYWORD_MESSAGES.unknownProperty!({ name, guess: suggest(name, allowed), allowed });
      return { pointer: `${here}/${escapeToken(name)}`, message: m.en, message_ja: m.ja, rank: 0 };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const m = msgOf(isObj(e.parentSchema) ? e.parentSchema.propertyNames : undefined) ?? KEYWORD_MESSAGES.propertyNames!({});
      return { pointer: `${here}/${escapeToken(name)}`, message: `"${name}": ${m.en}`, message_ja: `「${name}」: ${m.ja}`, rank: 0 };
    }
    case 'anyOf':
    case 'oneOf': {
      const m = msgOf(e.parentSchema) ?? KEYWORD_MESSAGES.anyOf!({});
      return { pointer: here, message: m.en + got(e.data), message_ja: m.ja + gotJa(e.data), rank: msgOf(e.parentSchema) ? 0 : 1 };
    }
  }
  const m = msgOf(e.parentSchema) ?? generic(e);
  return { pointer: here, message: m.en + got(e.data), message_ja: m.ja + gotJa(e.data), rank: 0 };
}

function generic(e: ErrorObject): Bilingual {
  const m = KEYWORD_MESSAGES[e.keyword];
  return m ? m(e.params as Record<string, unknown>) : { en: e.message ?? `fails ${e.keyword}`, ja: `${e.keyword} の条件を満たしていません（${e.message ?? ''}）` };
}

/** ' (got "2s")' — what the operator wrote, shortened, so they can find it. */
function got(v: unknown): string {
  if (v === undefined || isObj(v) || Array.isArray(v)) return '';
  const s = JSON.stringify(v);
  return ` (got ${s.length > 40 ? `${s.slice(0, 39)}…` : s})`;
}
function gotJa(v: unknown): string {
  if (v === undefined || isObj(v) || Array.isArray(v)) return '';
  const s = JSON.stringify(v);
  return `（現在: ${s.length > 40 ? `${s.slice(0, 39)}…` : s}）`;
}

function resolveRef(node: unknown, root: SchemaNode): SchemaNode | undefined {
  if (!isObj(node)) return undefined;
  const ref = node.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return node as SchemaNode;
  let cur: unknown = root;
  for (const tok of ref.slice(2).split('/')) cur = isObj(cur) ? cur[tok.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isObj(cur) ? (cur as SchemaNode) : undefined;
}

/** The schemas that can declare properties for an object: itself, its $ref target, its allOf members. */
function objectSchemas(node: unknown, root: SchemaNode, depth = 0): SchemaNode[] {
  if (!isObj(node) || depth > 4) return [];
  const self = node as SchemaNode;
  const out = [self];
  if (typeof self.$ref === 'string') out.push(...objectSchemas(resolveRef(self, root), root, depth + 1));
  for (const s of self.allOf ?? []) out.push(...objectSchemas(s, root, depth + 1));
  return out;
}

function propertySchema(parent: unknown, name: string, root: SchemaNode): SchemaNode | undefined {
  for (const s of objectSchemas(parent, root)) {
    const p = s.properties?.[name];
    if (p) return msgOf(p) ? p : (resolveRef(p, root) ?? p);
  }
  return undefined;
}

// Each schema object's enclosing schema object, for walking up from an error's parentSchema
// (ajv hands back the very objects it compiled, with verbose on).
const parents = new WeakMap<object, object>();
function indexParents(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  for (const child of Array.isArray(node) ? node : Object.values(node)) {
    if (typeof child === 'object' && child !== null) {
      parents.set(child, node);
      indexParents(child);
    }
  }
}

/**
 * A "required" inside if/then names a property the enclosing schema declares
 * (fields: if string then required maxLength); look for it further up.
 */
function declaredAbove(node: unknown, name: string, root: SchemaNode): SchemaNode | undefined {
  for (let cur = isObj(node) ? parents.get(node) : undefined, i = 0; cur && i < 8; cur = parents.get(cur), i++) {
    const found = propertySchema(cur, name, root);
    if (found) return found;
  }
  return undefined;
}

function allowedProperties(parent: unknown, root: SchemaNode): string[] {
  return [...new Set(objectSchemas(parent, root).flatMap((s) => Object.keys(s.properties ?? {})))];
}

/** The allowed name closest to a misspelt one (case slips, one or two typos), if any is close. */
function suggest(name: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = a.toLowerCase() === name.toLowerCase() ? 0 : distance(a.toLowerCase(), name.toLowerCase());
    if (d < bestD) [best, bestD] = [a, d];
  }
  return bestD <= Math.min(2, Math.floor(name.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
