// What docs/template.schema.json cannot say about a template.json: names that
// must refer to each other, times that must be ordered, field names that would
// collide with JavaScript's own, regular expressions that could stall the API,
// and Handlebars that must compile and fill in with example and worst-case
// data. Runs on any JSON (the schema's problems are reported alongside), so
// every access is guarded.
import { checkTemplate, compileText, templateFields, TemplateSyntaxError } from '../overlays/handlebars.ts';
import { isHttpUrl } from './watch-link.ts';
import { exampleData, patternProblem, worstData, type FieldSpec } from './fields.ts';
import { pointer, problemAt, type Problem } from './package/problems.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

// Names every object already has: data can never supply them as plain values
// (input.constructor is a function even when absent), and "__proto__" is a setter.
const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The template strings of a layer (Handlebars), by their property name. */
function templateStrings(l: Record<string, unknown>): Array<[prop: string, source: string]> {
  const props = l.type === 'text' ? ['text'] : l.type === 'image' ? ['url'] : l.type === 'chart' ? ['title'] : [];
  return props.filter((k) => typeof l[k] === 'string').map((k) => [k, l[k] as string]);
}

type Datasets = Array<['example' | 'worst-case', Record<string, unknown>]>;

export function semanticProblems(m: unknown): Problem[] {
  const out: Problem[] = [];
  if (!isObj(m)) return out;
  const fields = isObj(m.fields) ? m.fields : {};
  fieldProblems(fields, out);
  if (!Array.isArray(m.layers)) return out;
  const datasets = fillData(fields);
  const locale = typeof m.locale === 'string' ? m.locale : undefined;
  const ids = new Set<string>();
  m.layers.forEach((l: unknown, i: number) => {
    if (!isObj(l)) return;
    if (typeof l.id === 'string') {
      if (ids.has(l.id)) out.push(problemAt(pointer('layers', i, 'id'), 'duplicate_layer_id', { id: l.id }));
      ids.add(l.id);
    }
    if (isNum(l.start) && isNum(l.end) && l.end <= l.start) out.push(problemAt(pointer('layers', i, 'end'), 'end_not_after_start'));
    fieldReferenceProblems(l, i, fields, out);
    for (const [prop, source] of templateStrings(l)) templateProblems(source, pointer('layers', i, prop), { fields, datasets, locale }, out);
  });
  watchProblems(m.watch, { fields, datasets, locale }, out);
  return out;
}

/** The watch page's call to action: Handlebars like a layer's text, and its link an http(s) URL once filled in. */
function watchProblems(w: unknown, c: { fields: Record<string, unknown>; datasets: Datasets; locale?: string }, out: Problem[]): void {
  if (!isObj(w) || !isObj(w.cta)) return;
  const { label, url } = w.cta;
  if (typeof label === 'string') templateProblems(label, pointer('watch', 'cta', 'label'), c, out);
  if (typeof url !== 'string') return;
  const before = out.length;
  templateProblems(url, pointer('watch', 'cta', 'url'), c, out);
  if (out.length > before) return;
  for (const [which, data] of c.datasets) {
    if (!isHttpUrl(compileText(url)(data, c.locale))) out.push(problemAt(pointer('watch', 'cta', 'url'), 'cta_url_not_http', { data: which }));
  }
}

const hasField = (fields: Record<string, unknown>, name: string) => Object.prototype.hasOwnProperty.call(fields, name);

/** Field names JavaScript already uses, and patterns that are invalid or could stall the API. */
function fieldProblems(fields: Record<string, unknown>, out: Problem[]): void {
  for (const [name, f] of Object.entries(fields)) {
    if (RESERVED.has(name)) out.push(problemAt(pointer('fields', name), 'reserved_field_name', { name }));
    checkPattern(f, ['fields', name], out);
    if (isObj(f) && isObj(f.items)) {
      checkPattern(f.items, ['fields', name, 'items'], out);
      if (isObj(f.items.properties)) {
        for (const [prop, spec] of Object.entries(f.items.properties)) {
          if (RESERVED.has(prop)) out.push(problemAt(pointer('fields', name, 'items', 'properties', prop), 'reserved_field_name', { name: prop }));
          checkPattern(spec, ['fields', name, 'items', 'properties', prop], out);
        }
      }
    }
  }
}

/** Data to fill templates in with; none when the fields themselves are not usable. */
function fillData(fields: Record<string, unknown>): Datasets {
  try {
    const specs = fields as Record<string, FieldSpec>;
    return [['example', exampleData(specs)], ['worst-case', worstData(specs)]];
  } catch {
    return [];
  }
}

/** Items and chart layers name array fields: they must exist and be arrays. */
function fieldReferenceProblems(l: Record<string, unknown>, i: number, fields: Record<string, unknown>, out: Problem[]): void {
  const arrayField = (name: unknown, at: string) => {
    if (typeof name !== 'string') return;
    if (!hasField(fields, name)) out.push(problemAt(at, 'unknown_field', { name }));
    else if (!isObj(fields[name]) || fields[name].type !== 'array') out.push(problemAt(at, 'not_array_field', { name }));
  };
  if (l.type === 'items') arrayField(l.field, pointer('layers', i, 'field'));
  if (l.type === 'chart') {
    if (Array.isArray(l.series)) l.series.forEach((se: unknown, k: number) => arrayField(isObj(se) ? se.field : undefined, pointer('layers', i, 'series', k, 'field')));
    arrayField(l.labelsField, pointer('layers', i, 'labelsField'));
  }
}

/** A layer's Handlebars string compiles, names only known fields, and fills in with every dataset. */
function templateProblems(source: string, at: string, c: { fields: Record<string, unknown>; datasets: Datasets; locale?: string }, out: Problem[]): void {
  try {
    checkTemplate(source);
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e;
    out.push(problemAt(at, 'template_error', { detail: e.message }));
    return;
  }
  for (const name of templateFields(source)) if (!hasField(c.fields, name)) out.push(problemAt(at, 'unknown_field', { name }));
  for (const [which, data] of c.datasets) {
    try {
      compileText(source)(data, c.locale);
    } catch {
      out.push(problemAt(at, 'template_dry_run', { data: which }));
    }
  }
}

function checkPattern(spec: unknown, tokens: Array<string | number>, out: Problem[]): void {
  if (!isObj(spec) || typeof spec.pattern !== 'string') return;
  const bad = patternProblem(spec.pattern);
  const at = pointer(...tokens, 'pattern');
  if (bad?.kind === 'invalid') out.push(problemAt(at, 'pattern_invalid', { detail: bad.detail }));
  else if (bad?.kind === 'unsafe') out.push(problemAt(at, 'pattern_unsafe'));
}
