// Which characters a template can draw, per font family and per data field,
// so a person's name is checked against the template's fonts when a render is
// accepted (not only example and worst data at upload): no empty boxes.
// Every drawn text falls back to the bundled Noto Sans JP (text-layout,
// items, chart, SVG), so a family draws its own glyphs plus Noto's.
import { DEFAULT_FONT_FAMILY } from '../overlays/fonts.ts';
import { templateFields } from '../overlays/handlebars.ts';
import type { Layer } from '../overlays/types.ts';
import { bundledCoverage, missingCodepoints } from './package/fonts.ts';
import { escapeToken, problemAt, type Problem } from './package/problems.ts';
import type { Manifest } from './manifest.ts';

export interface FamilyCoverage {
  /** What text styled with this CSS font-family list (undefined: the default) can draw. */
  of(family: string | undefined): ReadonlySet<number>;
}

/** Coverage by family from the packaged fonts' code points (bundled Noto Sans JP always included). */
export function familyCoverage(packaged: Array<{ family: string; codepoints: Iterable<number> }>): FamilyCoverage {
  const bundled = bundledCoverage();
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

/** Per data field: the coverage of every place it is drawn (it must fit all of them). Fields not drawn are absent. */
export type FieldCoverage = Map<string, ReadonlySet<number>[]>;

function drawnFields(l: Layer): Array<[field: string, family: string | undefined]> {
  const refs = (source: string | undefined, family: string | undefined): Array<[string, string | undefined]> => {
    if (typeof source !== 'string') return [];
    try {
      return templateFields(source).map((f) => [f, family]);
    } catch {
      return []; // refused at upload; draws nothing
    }
  };
  switch (l.type) {
    case 'text':
      return refs(l.text, l.style?.fontFamily);
    case 'svg':
      return refs(l.svgText, undefined);
    case 'items':
      return [[l.field, l.card?.nameStyle?.fontFamily], [l.field, undefined]];
    case 'chart':
      return [...refs(l.title, undefined), ...(l.labelsField ? ([[l.labelsField, undefined]] as Array<[string, undefined]>) : [])];
    default:
      return []; // image URLs are fetched, not drawn
  }
}

export function fieldCoverage(manifest: Manifest, coverage: FamilyCoverage): FieldCoverage {
  const out: FieldCoverage = new Map();
  for (const l of manifest.layers) {
    for (const [field, family] of drawnFields(l)) {
      if (!Object.prototype.hasOwnProperty.call(manifest.fields, field)) continue;
      const sets = out.get(field) ?? [];
      const set = coverage.of(family ?? DEFAULT_FONT_FAMILY);
      if (!sets.includes(set)) sets.push(set);
      out.set(field, sets);
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
  const out: Problem[] = [];
  const visit = (v: unknown, at: string, sets: ReadonlySet<number>[]) => {
    if (typeof v === 'string') {
      const missing: number[] = [];
      for (const set of sets) for (const cp of missingCodepoints(v, set)) if (!missing.includes(cp)) missing.push(cp);
      if (missing.length) out.push(problemAt(at, 'data_glyphs_missing', { codepoints: missing }));
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${at}/${i}`, sets));
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) visit(x, `${at}/${escapeToken(k)}`, sets);
  };
  for (const [field, sets] of fields) {
    if (Object.prototype.hasOwnProperty.call(data, field)) visit(data[field], `${base}/${escapeToken(field)}`, sets);
  }
  return out;
}
