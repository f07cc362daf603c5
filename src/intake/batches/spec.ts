// What a batch renders and how a CSV row becomes template data. A batch either
// carries its own mapping (template field → CSV column, in the connectors'
// source-spec forms) or reuses a connector's template, mapping and contact.
// Column names are turned into JSON pointers into the row object here, once,
// so the one mapping code (mapping.ts) reads CSV rows like any payload.
import type { Problem } from '../../config/api-error.ts';
import type { SourceSpec } from '../mapping.ts';
import type { CsvEncoding } from './csv-source.ts';

/** As stored with the batch: everything a worker needs, with paths already pointers. */
export interface BatchSpec {
  template: string;
  mode: 'lazy' | 'eager';
  mapping: Record<string, SourceSpec>;
  /** Pointer to the contact column (external_id, idempotency). */
  contact: string;
  campaign?: SourceSpec;
  expires_in?: number;
  /** The connector whose identity the renders share (same contact via hook or CSV → same render). */
  connector?: string;
  encoding: CsvEncoding;
}

/** "姓" → "/姓" (RFC 6901 escapes): a CSV column as a pointer into the row object. */
export const columnPointer = (column: string) => '/' + column.replace(/~/g, '~0').replace(/\//g, '~1');

/** The column a pointer or dotted path reads ("/姓" → 姓, "a.b" → a). */
export function pointerColumn(path: string): string {
  if (!path.startsWith('/')) return path.split('.')[0]!;
  return path.slice(1).split('/')[0]!.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** A batch mapping's column names → pointers (literals and defaults kept). */
export function columnsToPointers(spec: SourceSpec): SourceSpec {
  if (typeof spec === 'string') return columnPointer(spec);
  if ('value' in spec) return spec;
  if ('path' in spec) return { ...spec, path: columnPointer(spec.path) };
  if ('join' in spec) return { ...spec, join: spec.join.map(columnPointer) };
  return { ...spec, skus: columnsToPointers(spec.skus as SourceSpec) as typeof spec.skus };
}

/** Every path a source reads. */
export function sourcePaths(spec: SourceSpec): string[] {
  if (typeof spec === 'string') return [spec];
  if ('value' in spec) return [];
  if ('path' in spec) return [spec.path];
  if ('join' in spec) return spec.join;
  return sourcePaths(spec.skus as SourceSpec);
}

/** The CSV column(s) a source reads, as the result CSV names them ("姓 + 名"). */
export function sourceColumns(spec: SourceSpec): string {
  return sourcePaths(spec).map(pointerColumn).join(' + ');
}

/** Mapped columns the header lacks: a 422 before any row is processed. */
export function missingColumns(spec: BatchSpec, header: string[], prefix: string): Problem[] {
  const have = new Set(header);
  const problems: Problem[] = [];
  const check = (pointer: string, s: SourceSpec) => {
    const missing = sourcePaths(s).map(pointerColumn).filter((c) => !have.has(c));
    if (missing.length) problems.push({ pointer, message: `reads column(s) ${missing.map((c) => JSON.stringify(c)).join(', ')}, which the CSV header does not have` });
  };
  const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
  for (const [field, s] of Object.entries(spec.mapping)) check(`${prefix}/mapping/${esc(field)}`, s);
  check(`${prefix}/contact`, spec.contact);
  if (spec.campaign !== undefined) check(`${prefix}/campaign`, spec.campaign);
  return problems;
}
