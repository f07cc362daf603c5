// Which characters a template can draw, per font family and per data field,
// so a person's name is checked against the template's fonts when a render is
// accepted (not only example and worst data at upload): no empty boxes.
// Every drawn text falls back to the bundled Noto Sans JP (text-layout,
// items, chart, SVG) and then to this machine's fonts (Skia's own fallback),
// so a family draws its own glyphs plus theirs.
import { DEFAULT_FONT_FAMILY } from '../overlays/fonts.ts';
import { templateFields } from '../overlays/handlebars.ts';
import type { Layer } from '../overlays/types.ts';
import { fallbackCoverage, missingCodepoints } from './package/fonts.ts';
import { escapeToken, problemAt, type Problem } from './package/problems.ts';
import type { Manifest } from './manifest.ts';

export interface FamilyCoverage {
  /** What text styled with this CSS font-family list (undefined: the default) can draw. */
  of(family: string | undefined): ReadonlySet<number>;
}

let fallback: Set<number> | undefined;

/** Coverage by family from the packaged fonts' code points (Noto Sans JP and the machine's fonts always included). */
export function familyCoverage(packaged: Array<{ family: string; codepoints: Iterable<number> }>): FamilyCoverage {
  const bundled = (fallback ??= fallbackCoverage());
  const own = new Map<string, Set<number>>();
  for (const f of packaged) {
    const set = own.get(f.family) ?? new Set<number>();
    for (const c of f.codepoints) set.add(c);
    own.set(f.family, set);
  }
  const lists = new Map<string, ReadonlySet<number>>();
  return {
    of(family) {
      const names = (family ?? '').split(',').map((n) => n.trim().replace(/^["']|["']$/g, '')).filter((n) => own.has(n));
      if (names.length === 0) return bundled;
      const key = names.join('\n');
      let set = lists.get(key);
      if (!set) {
        const u = new Set(bundled);
        for (const n of names) for (const c of own.get(n)!) u.add(c);
        lists.set(key, (set = u));
      }
      return set;
    },
  };
}

/**
 * Per data field, every place it is drawn: the coverage of the font there and,
 * for items cards, which element property is drawn (a card draws name and
 * badge, not the image URL). Fields not drawn are absent.
 */
export type FieldCoverage = Map<string, Array<{ set: ReadonlySet<number>; prop?: string }>>;

interface Drawn { field: string; family?: string; prop?: string }

function drawnFields(l: Layer): Drawn[] {
  const refs = (source: string | undefined, family?: string): Drawn[] => {
    if (typeof source !== 'string') return [];
    try {
      return templateFields(source).map((field) => ({ field, family }));
    } catch {
      return []; // refused at upload; draws nothing
    }
  };
  switch (l.type) {
    case 'text':
      return refs(l.text, l.style?.fontFamily);
    case 'svg':
      return refs(l.svgText);
    case 'items':
      return [{ field: l.field, family: l.card?.nameStyle?.fontFamily, prop: 'name' }, { field: l.field, prop: 'badge' }];
    case 'chart':
      return [...refs(l.title), ...(l.labelsField ? [{ field: l.labelsField }] : [])];
    default:
      return []; // image URLs are fetched, not drawn
  }
}

export function fieldCoverage(manifest: Manifest, coverage: FamilyCoverage): FieldCoverage {
  const out: FieldCoverage = new Map();
  for (const l of manifest.layers) {
    for (const d of drawnFields(l)) {
      if (!Object.prototype.hasOwnProperty.call(manifest.fields, d.field)) continue;
      const places = out.get(d.field) ?? [];
      const set = coverage.of(d.family ?? DEFAULT_FONT_FAMILY);
      if (!places.some((p) => p.set === set && p.prop === d.prop)) places.push({ set, prop: d.prop });
      out.set(d.field, places);
    }
  }
  return out;
}

/**
 * One problem per string in the person's (validated) data that has characters
 * the fonts drawing it lack, at its JSON pointer, naming only those characters
 * as code points (never the value). O(length) per string.
 */
export function glyphProblems(fields: FieldCoverage, data: Record<string, unknown>, base = '/data'): Problem[] {
  const found = new Map<string, number[]>();
  const check = (text: string, at: string, set: ReadonlySet<number>) => {
    const missing = missingCodepoints(text, set);
    if (missing.length === 0) return;
    const all = found.get(at) ?? [];
    for (const cp of missing) if (!all.includes(cp)) all.push(cp);
    found.set(at, all);
  };
  // Strings at any depth (a text layer may {{#each}} over an array field); for a card, only its drawn property.
  const visit = (v: unknown, at: string, set: ReadonlySet<number>, prop: string | undefined) => {
    if (typeof v === 'string') {
      if (prop === undefined) check(v, at, set);
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${at}/${i}`, set, prop));
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) if (prop === undefined || k === prop) visit(x, `${at}/${escapeToken(k)}`, set, undefined);
    }
  };
  for (const [field, places] of fields) {
    if (!Object.prototype.hasOwnProperty.call(data, field)) continue;
    for (const p of places) visit(data[field], `${base}/${escapeToken(field)}`, p.set, p.prop);
  }
  return [...found].map(([at, codepoints]) => problemAt(at, 'data_glyphs_missing', { codepoints }));
}
