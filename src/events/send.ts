// One delivery attempt: a signed POST (Standard Webhooks headers) to an endpoint URL,
// connected only to the addresses that were checked (the same SSRF rules as image
// fetching), never following redirects, with one time limit for the whole exchange.
// Errors are short reason codes: they are shown in the delivery log and logged.
import { Webhook } from 'standardwebhooks';
import { AddressError, hostOf, pinnedRequest, resolveChecked } from '../overlays/safe-address.ts';

export interface SendResult {
  delivered: boolean;
  status: number | null;
  durationMs: number;
  error: string | null;
}

export interface SendOptions {
  allowPrivate: boolean;
  timeoutMs: number;
}

/** The three Standard Webhooks headers for a message, signed now (the timestamp is this attempt's). */
export function signedHeaders(secret: string, msgId: string, body: string, now = new Date()): Record<string, string> {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(msgId, now, body),
  };
}

/** At most this much of a receiver's answer is read; the body itself is not kept. */
const MAX_RESPONSE = 64 * 1024;

export async function sendSigned(url: string, secret: string, msgId: string, body: string, o: SendOptions): Promise<SendResult> {
  const t0 = Date.now();
  const done = (r: Omit<SendResult, 'durationMs'>): SendResult => ({ ...r, durationMs: Date.now() - t0 });
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), o.timeoutMs);
  try {
    const u = new URL(url);
    const to = await resolveChecked(hostOf(u), o.allowPrivate, ac.signal);
    const status = await post(u, to, { 'content-type': 'application/json', 'user-agent': 'kasane-webhooks/1', ...signedHeaders(secret, msgId, body) }, body, ac.signal);
    const ok = status >= 200 && status < 300;
    return done({ delivered: ok, status, error: ok ? null : `http_status (${status})` });
  } catch (e) {
    const reason = e instanceof AddressError ? e.reason : ac.signal.aborted ? 'timeout' : 'network';
    return done({ delivered: false, status: null, error: reason });
  } finally {
    clearTimeout(timer);
  }
}

function post(u: URL, to: Awaited<ReturnType<typeof resolveChecked>>, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = pinnedRequest(
      u,
      to,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal },
      (res) => {
        let read = 0;
        res.on('data', (c: Buffer) => {
          read += c.length;
          if (read > MAX_RESPONSE) res.destroy();
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
