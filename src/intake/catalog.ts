// A product catalog per template: MA tools know product ids (skus), the items
// layer draws cards (name, price, image, badge). Operators upload the catalog as
// CSV (UTF-8, UTF-8 with BOM, or Shift_JIS/CP932 as Excel saves it) or JSON; it
// replaces the previous one whole. Cards are checked against the template's
// item fields at upload, so a hook never fails on a catalog row.
import type { Redis } from 'ioredis';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { ApiError, type Problem } from '../config/api-error.ts';
import { validateData, type FieldSpec } from '../templates/fields.ts';
import type { Card, CatalogLookup } from './mapping.ts';
import { toNumberish } from './mapping.ts';

const key = (template: string) => `kasane:catalog:${template}`;
export const MAX_CATALOG_ITEMS = 100_000;
const SKU = /^[^\s]{1,100}$/u;

/** The template's card properties (its first array-of-objects field), for checking catalog rows. */
export function cardFields(fields: Record<string, FieldSpec>): Record<string, FieldSpec> | null {
  for (const f of Object.values(fields)) {
    if (f.type === 'array' && f.items?.type === 'object' && 'properties' in f.items) return f.items.properties;
  }
  return null;
}

/** CSV bytes → text: a BOM or valid UTF-8 is UTF-8; anything else is read as CP932 (Excel's "CSV" in Japan). */
export function decodeCsv(bytes: Buffer): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return iconv.decode(bytes, 'cp932');
  }
}

interface Row {
  where: string;
  sku: unknown;
  card: Record<string, unknown>;
}

function csvRows(bytes: Buffer): Row[] {
  let records: Array<Record<string, string>>;
  try {
    records = parse(decodeCsv(bytes), { columns: (h: string[]) => h.map((c) => c.normalize('NFKC').trim().toLowerCase()), skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw new ApiError(422, 'invalid_catalog', `the CSV cannot be parsed${line ? ` (near line ${line})` : ''}`);
  }
  return records.map((r, i) => ({
    where: `csv:line ${i + 2}`,
    sku: r.sku,
    card: { name: r.name, price: r.price, image: r.image ?? r.image_url, badge: r.badge },
  }));
}

function jsonRows(body: unknown): Row[] {
  const list = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { items?: unknown }).items) ? (body as { items: unknown[] }).items : null;
  if (!list) throw new ApiError(422, 'invalid_catalog', 'send a JSON array of { sku, name, price, image, badge } (or { "items": [...] })', [{ pointer: '', message: 'must be an array of items' }]);
  return list.map((r, i) => {
    const o = (r && typeof r === 'object' ? r : {}) as Record<string, unknown>;
    return { where: `/${Array.isArray(body) ? '' : 'items/'}${i}`, sku: o.sku, card: { name: o.name, price: o.price, image: o.image ?? o.image_url, badge: o.badge } };
  });
}

/** Parses and checks a catalog; every problem at once, with the row it is on. */
export function parseCatalog(input: Buffer | unknown, fields: Record<string, FieldSpec>): Map<string, Card> {
  const rows = Buffer.isBuffer(input) ? csvRows(input) : jsonRows(input);
  if (rows.length > MAX_CATALOG_ITEMS) throw new ApiError(413, 'catalog_too_large', `a catalog holds at most ${MAX_CATALOG_ITEMS} items`);
  const spec = cardFields(fields) ?? { name: { type: 'string', required: true }, price: { type: 'integer' }, image: { type: 'string' }, badge: { type: 'string' } };
  const problems: Problem[] = [];
  const out = new Map<string, Card>();
  for (const row of rows) {
    const sku = typeof row.sku === 'number' ? String(row.sku) : typeof row.sku === 'string' ? row.sku.normalize('NFKC').trim() : '';
    if (!SKU.test(sku)) problems.push({ pointer: `${row.where}/sku`, message: 'is required: 1-100 characters without spaces' });
    const raw = Object.fromEntries(Object.entries(row.card).filter(([k, v]) => k in spec && v !== undefined && v !== '').map(([k, v]) => [k, spec[k]!.type === 'integer' || spec[k]!.type === 'number' ? toNumberish(v) : v]));
    const { value, problems: p } = validateData(spec, raw, row.where);
    problems.push(...p);
    if (out.has(sku)) problems.push({ pointer: `${row.where}/sku`, message: 'appears twice' });
    if (!p.length && SKU.test(sku)) out.set(sku, value as unknown as Card);
  }
  if (problems.length) throw new ApiError(422, 'invalid_catalog', `${problems.length} problem(s) in the catalog`, problems.slice(0, 200));
  return out;
}

export class CatalogStore {
  constructor(private readonly redis: Redis) {}

  /** Replaces the template's catalog in one step (readers see the old one or the new one). */
  async replace(template: string, cards: Map<string, Card>): Promise<void> {
    const m = this.redis.multi().del(key(template));
    const entries = [...cards].flatMap(([sku, c]) => [sku, JSON.stringify(c)]);
    for (let i = 0; i < entries.length; i += 2000) m.hset(key(template), ...entries.slice(i, i + 2000));
    await m.exec();
  }

  async list(template: string): Promise<Array<Card & { sku: string }>> {
    const h = await this.redis.hgetall(key(template));
    return Object.entries(h).sort(([a], [b]) => (a < b ? -1 : 1)).map(([sku, c]) => ({ sku, ...(JSON.parse(c) as Card) }));
  }

  lookup(template: string): CatalogLookup {
    return async (skus) => {
      if (!skus.length) return [];
      const got = await this.redis.hmget(key(template), ...skus);
      return got.map((c) => (c ? (JSON.parse(c) as Card) : undefined));
    };
  }
}
