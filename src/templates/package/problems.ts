// A problem found in an uploaded template package. Operators fix packages
// themselves, so every problem says where (a JSON pointer into template.json,
// or a file reference) and what to do, in English and Japanese.
import { message, type MessageCode, type MESSAGES } from './messages.ts';

export interface Problem {
  /**
   * Where the problem is: a JSON pointer into template.json (`/layers/2/box`,
   * `''` for the whole document), `file:<path inside the package>` for a
   * packaged file, or `zip:<name as stored in the zip>` for a zip entry
   * (`zip:` alone for the zip as a whole).
   */
  pointer: string;
  message: string;
  message_ja: string;
}

export function problem(pointer: string, message: string, message_ja: string): Problem {
  return { pointer, message, message_ja };
}

/** Escapes one reference token (RFC 6901). */
export function escapeToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a JSON pointer from raw (unescaped) tokens: pointer('layers', 2, 'box') → '/layers/2/box'. */
export function pointer(...tokens: Array<string | number>): string {
  return tokens.map((t) => `/${escapeToken(t)}`).join('');
}

export const filePointer = (rel: string): string => `file:${rel}`;
export const zipPointer = (entryName = ''): string => `zip:${entryName}`;

/** A problem whose message comes from the one bilingual table (messages.ts), by code. */
export function problemAt<C extends MessageCode>(at: string, code: C, ...params: Parameters<(typeof MESSAGES)[C]>): Problem {
  const m = message(code, ...params);
  return { pointer: at, message: m.en, message_ja: m.ja };
}
