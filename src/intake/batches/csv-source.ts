// Campaign CSVs as operators export them: Excel in Japan saves Shift_JIS (CP932),
// newer tools UTF-8, often with a BOM. Files are read as streams (100,000 rows
// never sit in memory); the encoding is decided from the first bytes.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import iconv from 'iconv-lite';
import { parse, type Parser } from 'csv-parse';

export type CsvEncoding = 'utf-8' | 'cp932';
export const ENCODINGS: Record<string, CsvEncoding> = { 'utf-8': 'utf-8', utf8: 'utf-8', cp932: 'cp932', 'shift_jis': 'cp932', sjis: 'cp932', 'windows-31j': 'cp932' };
const SNIFF_BYTES = 256 * 1024;

/** A BOM or strictly valid UTF-8 in the first 256 KB is UTF-8; anything else is CP932 (a superset of Shift_JIS). */
export async function detectEncoding(file: string): Promise<CsvEncoding> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    const head = buf.subarray(0, bytesRead);
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
    try {
      // stream: true tolerates a character cut at the end of the sniffed bytes.
      new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: bytesRead === SNIFF_BYTES });
      return 'utf-8';
    } catch {
      return 'cp932';
    }
  } finally {
    await fh.close();
  }
}

/** One parsed data row: its 1-based number among data rows and its cells, in column order. */
export interface CsvRow {
  row: number;
  cells: string[];
}

/** Where a CSV cannot be read, for the operator to fix (row = data row, line = physical line, header = 1). */
export class CsvSyntaxError extends Error {
  constructor(message: string, readonly row: number, readonly line: number) {
    super(message);
  }
}

/** A decoded, parsed stream of rows; the header is the first record. BOM stripped by iconv. */
export function csvRecords(file: string, encoding: CsvEncoding): Parser {
  const src = createReadStream(file);
  const text = src.pipe(iconv.decodeStream(encoding === 'utf-8' ? 'utf8' : 'cp932'));
  const parser = parse({ relax_column_count: true, skip_empty_lines: true, max_record_size: 64 * 1024 });
  text.on('error', (e) => parser.destroy(e));
  // A reader that stops early (a 422 on the header) closes the file too.
  parser.on('close', () => src.destroy());
  return text.pipe(parser);
}

/** csv-parse's error → a message naming the data row (header excluded) and line, never the cell's content. */
export function syntaxError(e: unknown): CsvSyntaxError {
  const err = e as { code?: string; lines?: number; records?: number };
  const line = err.lines ?? 0;
  const row = err.records ?? 0; // records parsed so far, header included: the broken one is data row `records`
  const what =
    err.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quoted cell is never closed (a " without its partner)'
    : err.code === 'CSV_INVALID_CLOSING_QUOTE' ? 'a quote is closed and followed by more text in the same cell (write "" for a quote inside a quoted cell)'
    : err.code === 'CSV_MAX_RECORD_SIZE' ? 'a row is longer than 64 KB'
    : 'the CSV cannot be parsed';
  return new CsvSyntaxError(`${what}: data row ${row} (line ${line} of the file)`, row, line);
}
