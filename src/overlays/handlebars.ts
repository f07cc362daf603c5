// Handlebars for overlay text. The output is painted on a canvas, never put
// into markup, so there is no HTML escaping; the danger instead is a template
// that throws mid-render, so every helper is total and calls to anything that
// would throw at runtime (unknown helpers, partials) are rejected at compile time.
import Handlebars from 'handlebars';
import type { TextLayer } from './types.ts';

export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

// Isolated environment: nobody else's registerHelper/registerPartial can change our output.
const hb = Handlebars.create();

export const DEFAULT_LOCALE = 'ja-JP';

interface Formats {
  yen: Intl.NumberFormat;
  number: Intl.NumberFormat;
  percent: Map<number, Intl.NumberFormat>;
  dateTokyo: Intl.DateTimeFormat;
  dateUtc: Intl.DateTimeFormat;
}
const formats = new Map<string, Formats>();

/** Formatters for a template's locale (ja-JP unless the manifest says otherwise; unknown → ja-JP). */
function formatsFor(locale: string | undefined): Formats {
  let l = locale || DEFAULT_LOCALE;
  const hit = formats.get(l);
  if (hit) return hit;
  try {
    if (Intl.NumberFormat.supportedLocalesOf([l]).length === 0) l = DEFAULT_LOCALE;
  } catch {
    l = DEFAULT_LOCALE;
  }
  const f: Formats = {
    yen: new Intl.NumberFormat(l, { style: 'currency', currency: 'JPY' }),
    number: new Intl.NumberFormat(l),
    percent: new Map(),
    dateTokyo: new Intl.DateTimeFormat(l, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'Asia/Tokyo' }),
    dateUtc: new Intl.DateTimeFormat(l, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' }),
  };
  formats.set(locale || DEFAULT_LOCALE, f);
  return f;
}

/** Handlebars appends its `options` object to every helper call; these are the real arguments. */
function params(args: unknown[]): unknown[] {
  return args.slice(0, -1);
}

/** The render's locale travels in Handlebars' private data (@locale), set by compileText's caller. */
function fmt(args: unknown[]): Formats {
  const opts = args[args.length - 1] as { data?: { locale?: unknown } } | undefined;
  const l = opts?.data?.locale;
  return formatsFor(typeof l === 'string' ? l : undefined);
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

// Field values often arrive as strings (CSV, form posts), so a plain numeric
// string counts as a number; anything else is "not a number" and renders ''.
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && NUMERIC.test(v.trim())) {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

function formatDate(v: unknown, f: Formats): string {
  if (typeof v === 'string') {
    const s = v.trim();
    const m = DATE_ONLY.exec(s);
    if (m) {
      // A calendar date has no time zone; format it as written, not shifted by one.
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const t = new Date(Date.UTC(y, mo - 1, d));
      if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return '';
      return f.dateUtc.format(t);
    }
    if (s === '') return '';
    const t = new Date(s);
    return Number.isNaN(t.getTime()) ? '' : f.dateTokyo.format(t);
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : f.dateTokyo.format(v);
  if (typeof v === 'number' && Number.isFinite(v)) {
    const t = new Date(v);
    return Number.isNaN(t.getTime()) ? '' : f.dateTokyo.format(t);
  }
  return '';
}

const helpers: Record<string, (...args: unknown[]) => unknown> = {
  yen(...args) {
    const n = toNumber(params(args)[0]);
    // ICU's ja-JP JPY symbol is the full-width '￥' (U+FFE5). Noto Sans JP has
    // both glyphs; the ordinary '¥' (U+00A5) is proportional and sits better
    // next to half-width digits, and is what people type and compare against.
    return n === undefined ? '' : fmt(args).yen.format(n).replace(/\uFFE5/g, '\u00A5');
  },
  number(...args) {
    const n = toNumber(params(args)[0]);
    return n === undefined ? '' : fmt(args).number.format(n);
  },
  percent(...args) {
    const [value, digitsArg] = params(args);
    const n = toNumber(value);
    if (n === undefined) return '';
    const d = toNumber(digitsArg);
    const digits = d === undefined ? 1 : Math.min(20, Math.max(0, Math.trunc(d)));
    const fs = fmt(args);
    let f = fs.percent.get(digits);
    if (!f) fs.percent.set(digits, (f = new Intl.NumberFormat(fs.number.resolvedOptions().locale, { style: 'percent', maximumFractionDigits: digits })));
    return f.format(n);
  },
  date(...args) {
    return formatDate(params(args)[0], fmt(args));
  },
  default(...args) {
    const [value, fallback] = params(args);
    const empty = value === undefined || value === null || (typeof value === 'string' && value.trim() === '') || (typeof value === 'number' && Number.isNaN(value));
    return empty ? (fallback ?? '') : value;
  },
};

for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, fn);

/** Registers the ja-JP helpers in another isolated environment (the SVG layer's, which escapes). */
export function registerOverlayHelpers(env: typeof Handlebars): void {
  for (const [name, fn] of Object.entries(helpers)) env.registerHelper(name, fn);
}

/** '¥12,800' for a number or numeric string, '' otherwise: the yen helper, callable from code. */
export function formatYen(v: unknown): string {
  return String(helpers['yen']!(v, {}));
}

/** Helpers a template may call: ours plus the Handlebars built-ins that cannot throw on data. */
export const HELPER_NAMES: readonly string[] = [...Object.keys(helpers), 'if', 'unless', 'each', 'with', 'lookup'];
const callable = new Set(HELPER_NAMES);
const ONE_ARG_BLOCKS = new Set(['if', 'unless', 'with', 'each']);

type Node = hbs.AST.Node;

function fail(message: string, node?: Node): never {
  const line = node?.loc?.start.line;
  const column = node?.loc?.start.column;
  throw new TemplateSyntaxError(`Template error${line !== undefined ? ` on line ${line}` : ''}: ${message}`, line, column);
}

function helperName(path: Node): string | undefined {
  if (path.type !== 'PathExpression') return undefined;
  const p = path as hbs.AST.PathExpression;
  return !p.data && p.depth === 0 && p.parts.length === 1 ? p.parts[0] : undefined;
}

// Handlebars only notices these at render time ("Missing helper", "#if requires
// exactly one argument", missing partials), i.e. per viewer; catch them per template.
function checkCall(node: Node, path: Node, args: Node[], hash: hbs.AST.Hash | undefined, isSubExpression: boolean): void {
  const hasArgs = args.length > 0 || (hash?.pairs.length ?? 0) > 0;
  const name = helperName(path);
  const label = (path as Partial<hbs.AST.PathExpression>).original ?? path.type;
  if ((hasArgs || isSubExpression) && (name === undefined || !callable.has(name))) {
    fail(`unknown helper "${label}" (available: ${HELPER_NAMES.join(', ')})`, node);
  }
  for (const a of args) walk(a);
  for (const pair of hash?.pairs ?? []) walk(pair.value);
}

function walk(node: Node | undefined): void {
  if (!node) return;
  switch (node.type) {
    case 'Program':
      for (const s of (node as hbs.AST.Program).body) walk(s);
      return;
    case 'MustacheStatement': {
      const m = node as hbs.AST.MustacheStatement;
      return checkCall(node, m.path, m.params, m.hash, false);
    }
    case 'SubExpression': {
      const s = node as hbs.AST.SubExpression;
      return checkCall(node, s.path, s.params, s.hash, true);
    }
    case 'BlockStatement': {
      const b = node as hbs.AST.BlockStatement;
      const name = helperName(b.path);
      if (name !== undefined && ONE_ARG_BLOCKS.has(name) && b.params.length !== 1) fail(`{{#${name}}} needs exactly one argument`, node);
      checkCall(node, b.path, b.params, b.hash, false);
      walk(b.program);
      walk(b.inverse);
      return;
    }
    case 'PartialStatement':
    case 'PartialBlockStatement':
      return fail('partials ({{> name}}) are not supported in overlay text', node);
    case 'Decorator':
    case 'DecoratorBlock':
      return fail('decorators ({{* name}}) are not supported in overlay text', node);
    default:
      return; // content, comments, literals, paths
  }
}

const TOKEN_NAMES: Record<string, string> = {
  EOF: 'end of text (a tag or block is not closed)',
  CLOSE: "'}}'",
  CLOSE_UNESCAPED: "'}}}'",
  OPEN: "'{{'",
  ID: 'name',
};

function fromHandlebarsError(e: unknown): TemplateSyntaxError {
  const err = e as { message?: unknown; lineNumber?: unknown; column?: unknown };
  const message = typeof err?.message === 'string' ? err.message : String(e);
  // Jison: "Parse error on line N:\n<source excerpt>\n----^\nExpecting 'A', 'B', got 'X'"
  const parse = /^Parse error on line (\d+):\n([^\n]*)\n(-*\^)\n[^\n]*got '([^']+)'/.exec(message);
  if (parse) {
    const line = Number(parse[1]);
    const got = parse[4] ?? '';
    const excerpt = parse[2] ?? '';
    const caret = parse[3] ?? '';
    const ch = excerpt[caret.length - 1];
    const what = got === 'INVALID' && ch ? `'${ch}'` : (TOKEN_NAMES[got] ?? got.toLowerCase());
    return new TemplateSyntaxError(
      `Template syntax error on line ${line}: unexpected ${what}\n${excerpt}\n${caret}`,
      line,
      caret.length - 1,
    );
  }
  const line = typeof err?.lineNumber === 'number' ? err.lineNumber : undefined;
  const column = typeof err?.column === 'number' ? err.column : undefined;
  const text = message.replace(/ - \d+:\d+$/, '');
  return new TemplateSyntaxError(`Template syntax error${line !== undefined ? ` on line ${line}` : ''}: ${text}`, line, column);
}

const COMPILE_OPTIONS = { noEscape: true, strict: false } as const;
const CACHE_LIMIT = 1000;
const cache = new Map<string, (data: Record<string, unknown>, locale?: string) => string>();

/** Compiles overlay text; throws TemplateSyntaxError for a source that could never render. */
export function compileText(source: string): (data: Record<string, unknown>, locale?: string) => string {
  const hit = cache.get(source);
  if (hit) return hit;
  checkTemplate(source);
  let template: HandlebarsTemplateDelegate;
  try {
    template = hb.compile(source, COMPILE_OPTIONS);
  } catch (e) {
    throw fromHandlebarsError(e);
  }
  const render = (data: Record<string, unknown>, locale?: string): string => template(data ?? {}, { data: { locale: locale ?? DEFAULT_LOCALE } });
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(source, render);
  return render;
}

/**
 * The checks compileText makes (syntax, unknown helpers, partials), for a
 * template another environment compiles; throws TemplateSyntaxError.
 */
export function checkTemplate(source: string): void {
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(source);
  } catch (e) {
    throw fromHandlebarsError(e);
  }
  walk(ast);
  try {
    // compile() is lazy and would only report compiler errors on first use;
    // precompile() runs the same compiler now.
    hb.precompile(source, { strict: false });
  } catch (e) {
    throw fromHandlebarsError(e);
  }
}

/**
 * Fills in a template string for one person, and never throws: uploads refuse
 * a template that cannot compile (checkTemplate), so a failure here can only be
 * a version stored before that check, and it draws nothing rather than failing
 * every render and preview of the version with a 500.
 */
export function renderText(source: string, data: Record<string, unknown>, locale?: string): string {
  let render: ReturnType<typeof compileText>;
  try {
    render = compileText(source);
  } catch {
    return '';
  }
  try {
    return render(data, locale);
  } catch {
    return '';
  }
}

export function resolveLayerText(layer: TextLayer, data: Record<string, unknown>): string {
  return renderText(layer.text, data, layer.locale);
}

// Blocks whose body runs in the same context; every other block ({{#each}},
// {{#with}}, {{#items}}) runs its body with an element or object as context,
// so names inside are that value's properties, not the template's fields.
const SAME_CONTEXT_BLOCKS = new Set(['if', 'unless']);

/**
 * The data fields a template reads from its top-level context, in order of
 * first use: {{name}}, {{yen price}}, {{#each items}} → name, price, items.
 * Helper names, @data variables, `this` and names inside each/with bodies are
 * not fields. Throws TemplateSyntaxError like checkTemplate.
 */
export function templateFields(source: string): string[] {
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(source);
  } catch (e) {
    throw fromHandlebarsError(e);
  }
  const out = new Set<string>();
  const path = (node: Node | undefined) => {
    if (!node || node.type !== 'PathExpression') return visit(node);
    const p = node as hbs.AST.PathExpression;
    if (!p.data && p.depth === 0 && p.parts.length > 0) out.add(p.parts[0]!);
  };
  const call = (callee: Node, args: Node[], hash: hbs.AST.Hash | undefined) => {
    const isCall = args.length > 0 || (hash?.pairs.length ?? 0) > 0 || callable.has(helperName(callee) ?? '');
    if (!isCall) path(callee);
    for (const a of args) path(a);
    for (const pair of hash?.pairs ?? []) path(pair.value);
  };
  function visit(node: Node | undefined): void {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        for (const s of (node as hbs.AST.Program).body) visit(s);
        return;
      case 'MustacheStatement':
      case 'SubExpression': {
        const m = node as hbs.AST.MustacheStatement;
        return call(m.path, m.params, m.hash);
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        call(b.path, b.params, b.hash);
        if (SAME_CONTEXT_BLOCKS.has(helperName(b.path) ?? '')) visit(b.program);
        visit(b.inverse);
        return;
      }
      default:
        return;
    }
  }
  visit(ast);
  return [...out];
}
