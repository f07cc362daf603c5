// Checks an endpoint URL when it is saved, so a mistake is a 4xx now rather than a
// failed delivery later: http(s) without credentials, https unless allowed, and an
// address that delivery will be allowed to reach (delivery checks again each time).
import { AddressError, hostOf, resolveChecked } from '../overlays/safe-address.ts';
import type { EventSettings } from '../config/index.ts';

/** A problem with the URL in a sentence that does not repeat it, or null when it is fine. */
export async function endpointUrlProblem(raw: string, s: Pick<EventSettings, 'allowHttp' | 'allowPrivate'>): Promise<string | null> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http(s) URL';
  if (u.protocol === 'http:' && !s.allowHttp) return 'must be an https URL';
  if (u.username || u.password) return 'must not carry a user name or password; authenticate with the signature';
  if (u.hash) return 'must not have a #fragment';
  try {
    await resolveChecked(hostOf(u), s.allowPrivate, AbortSignal.timeout(5000));
  } catch (e) {
    const reason = e instanceof AddressError ? e.reason : 'dns_failed';
    if (reason === 'private_address') return 'must point to a public address (this one is private, loopback or reserved)';
    return 'the host name does not resolve';
  }
  return null;
}
