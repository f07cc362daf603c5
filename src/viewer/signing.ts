// Viewer URLs carry a signed token in the path (so relative segment URIs in
// the playlist inherit it): <renderId>.<expiry>.<keyId>.<mac>
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SigningKey {
  id: string;
  secret: Buffer;
}

export type TokenCheck =
  | { ok: true; renderId: string; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'unknown-key' }
  | { ok: false; reason: 'expired'; renderId: string; expiresAt: number };

function mac(key: SigningKey, payload: string): string {
  // 128 bits is ample for a URL MAC and keeps links short enough for SMS.
  return createHmac('sha256', key.secret).update(payload).digest('base64url').slice(0, 22);
}

export function signToken(keys: SigningKey[], renderId: string, expiresAt: number): string {
  const key = keys[0]!;
  const payload = `${renderId}.${expiresAt}.${key.id}`;
  return `${payload}.${mac(key, payload)}`;
}

export function verifyToken(keys: SigningKey[], token: string, now = Math.floor(Date.now() / 1000)): TokenCheck {
  const m = /^([A-Za-z0-9_-]{4,64})\.(\d{1,12})\.([A-Za-z0-9_-]{1,16})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const [, renderId, exp, kid, sig] = m as unknown as [string, string, string, string, string];
  const key = keys.find((k) => k.id === kid);
  if (!key) return { ok: false, reason: 'unknown-key' };
  const want = Buffer.from(mac(key, `${renderId}.${exp}.${kid}`));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: 'bad-signature' };
  const expiresAt = Number(exp);
  if (expiresAt <= now) return { ok: false, reason: 'expired', renderId, expiresAt };
  return { ok: true, renderId, expiresAt };
}
