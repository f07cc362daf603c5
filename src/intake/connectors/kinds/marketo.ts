// Marketo Engage "Call Webhook" flow step. Marketo cannot sign: the webhook's
// Custom Header carries a connector secret (options.header, default
// X-Kasane-Secret; `Authorization: Bearer` also works). The payload template is
// text with tokens in it, so an empty number token leaves `"savings": ,` and an
// operator who quoted a string token gets `""山田""`: only when JSON.parse fails,
// those two (and nothing else) are repaired. Form/Url token encoding (a=1&b=2) is
// read too. Answers and refusals are flat JSON so Response Mappings can read them.
import { ApiError } from '../../../config/api-error.ts';
import { bearerMatches, headerSecret, identityFrom, jsonOrFormBody, randomSecretProblem, secretHeaderOptionsSchema, unauthorized } from '../identity.ts';
import type { ConnectorKind, HookRequest } from '../types.ts';
import { answerBody } from './generic.ts';

/**
 * Outside strings, at a value position (after ":"): nothing before , } ] becomes null, and a
 * doubled-quoted string ""x"" becomes "x". Everything else is copied as is.
 */
export function repairTokens(text: string): string {
  let out = '';
  let i = 0;
  const string = (from: number) => {
    let j = from + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return j; // the closing quote
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const end = string(i);
      out += text.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    out += c;
    i++;
    if (c !== ':') continue;
    while (i < text.length && /\s/.test(text[i]!)) out += text[i++];
    if (i >= text.length || ',}]'.includes(text[i]!)) out += 'null';
    else if (text.startsWith('""', i) && i + 2 < text.length && !/[\s,}\]]/.test(text[i + 2]!)) {
      const end = string(i + 1);
      if (text[end + 1] === '"') {
        out += text.slice(i + 1, end + 1);
        i = end + 2;
      }
    }
  }
  return out;
}

/** Where JSON.parse stops reading (V8 names a position for most failures, not for "Unexpected token"). */
function failAt(text: string): number | undefined {
  const posOf = (t: string): number | 'end' | undefined => {
    try {
      JSON.parse(t);
      return undefined;
    } catch (e) {
      const msg = (e as Error).message;
      if (/^Unexpected end|^Unterminated string/.test(msg)) return 'end';
      const m = /at position (\d+)/.exec(msg);
      return m ? Number(m[1]) : -1;
    }
  };
  const whole = posOf(text);
  if (typeof whole === 'number' && whole >= 0) return whole;
  if (whole !== -1 || text.length > 20_000) return undefined;
  // The shortest prefix that fails for a reason other than ending early ends at the bad character.
  for (let k = 1; k <= text.length; k++) {
    const p = posOf(text.slice(0, k));
    if (p === -1 || (typeof p === 'number' && p < k)) return k - 1;
  }
  return undefined;
}

/** Line and column of a parse failure, never the text around it (it is personal data). */
function where(text: string): string {
  const at = failAt(text);
  if (at === undefined) return ' (it ends too early)';
  const before = text.slice(0, at);
  return ` at line ${before.split('\n').length}, column ${at - before.lastIndexOf('\n')}`;
}

/** JSON, repaired if it must be; Request Token Encoding "Form/Url" gives a=1&b=2. */
function parseBody(req: HookRequest): Record<string, unknown> {
  return jsonOrFormBody(req, (text) => {
    try {
      return JSON.parse(text);
    } catch {
      const repaired = repairTokens(text);
      try {
        return JSON.parse(repaired);
      } catch {
        throw new ApiError(400, 'malformed_payload', `the body is not valid JSON${where(repaired)}; write tokens without quotes and use Request Token Encoding "JSON"`, [{ pointer: '', message: 'must be JSON (the webhook\'s Payload Template)' }]);
      }
    }
  });
}

export const marketo: ConnectorKind = {
  kind: 'marketo',
  optionsSchema: secretHeaderOptionsSchema,
  secretProblem: randomSecretProblem,

  authenticate(req, connector) {
    const { name, matches } = headerSecret(req, connector);
    if (matches) return;
    if (req.headers.authorization !== undefined && bearerMatches(req, connector)) return;
    throw unauthorized(`set the webhook's Custom Header ${name} to one of this connector's secrets`);
  },

  payload: (req) => ({ ...req.query, ...(req.method === 'GET' ? {} : parseBody(req)) }),
  identity: (_req, payload, connector) => identityFrom(payload, connector),
  // 200 both times: Response Mappings read any 2xx, and a repeat is the same answer.
  answer: (r) => ({ status: 200, body: answerBody(r) }),
  /** Flat keys (error, error_message, error_field) even on refusals, so a mapping or the activity log shows them. */
  errorAnswer(err) {
    const first = err.problems?.[0];
    const field = first?.pointer ? (/^\/data\/([^/]+)/.exec(first.pointer)?.[1] ?? first.pointer) : undefined;
    return {
      status: err.status,
      headers: err.headers,
      body: { error: err.code, error_message: err.message, ...(field !== undefined ? { error_field: field, error_reason: first!.message } : {}), ...(err.problems && err.problems.length > 1 ? { error_count: err.problems.length } : {}) },
    };
  },
};
