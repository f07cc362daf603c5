// One byte range from a Range header (RFC 9110 §14). Hand-written because the only
// ready-made parsers (range-parser, @fastify/send) are not installed here, and a
// single range is all a video player or LINE's fetcher asks for: a few lines.

export type RangeAnswer =
  /** No usable Range header (absent, not bytes=, malformed, or several ranges): send it all, 200. */
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  /** Well-formed but outside the object: 416. */
  | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges (bytes=0-1,5-6) would need multipart/byteranges; a server may ignore Range instead.
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    // Suffix: the last n bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return { kind: 'full' }; // invalid: ignored, as the RFC allows
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
