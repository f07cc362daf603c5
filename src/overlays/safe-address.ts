// Which addresses an outbound request made on someone else's say-so (an image URL in
// a person's data, a webhook endpoint) may reach, and a DNS lookup pinned to the
// addresses that were checked, so a second resolution cannot swap in an internal one
// (DNS rebinding), and the request that connects only there. Shared by image fetching
// and event delivery.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The ipaddr.js range name of an address ('unicast' for an ordinary public one), or
 * undefined when it is not an IP address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is classified as the IPv4 address it connects to. Only canonical forms count, as
 * net.isIP reads them: ipaddr.js would also take "0x7f.1", which no resolver returns.
 */
export function addressRange(ip: string): string | undefined {
  if (!net.isIP(ip)) return undefined;
  let a = ipaddr.parse(ip);
  if (a instanceof ipaddr.IPv6 && a.isIPv4MappedAddress()) a = a.toIPv4Address();
  const range = a.range();
  // ipaddr.js calls the deprecated IPv4-compatible ::a.b.c.d (RFC 4291) 'unicast'; some
  // stacks still route it to the IPv4 address, and nothing public lives there.
  if (range === 'unicast' && a instanceof ipaddr.IPv6 && a.parts.slice(0, 6).every((p) => p === 0)) return 'ipv4Compatible';
  return range;
}

/**
 * True for every address a request must not reach without allowPrivate: anything
 * ipaddr.js does not call 'unicast' — loopback, private, link-local, carrier-grade
 * NAT, unique-local, reserved, multicast, and the tunnelling/translation prefixes
 * that can lead to an internal IPv4 address (Teredo, 6to4, NAT64). Not an IP: true.
 */
export function isPrivateAddress(ip: string): boolean {
  return addressRange(ip) !== 'unicast';
}

/** The host of a URL as a resolver or net.isIP wants it: no IPv6 brackets, no trailing dot. */
export function hostOf(u: URL): string {
  return u.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

export type AddressReason = 'private_address' | 'dns_failed' | 'timeout';

export class AddressError extends Error {
  override readonly name = 'AddressError';
  constructor(readonly reason: AddressReason) {
    super(reason);
  }
}

export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AddressError('timeout'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Resolves a host (or takes an IP literal) and refuses it when any of its addresses
 * is not public, unless allowPrivate. Throws AddressError.
 */
export async function resolveChecked(host: string, allowPrivate: boolean, signal?: AbortSignal): Promise<CheckedAddress[]> {
  let addrs: Array<{ address: string; family: number }>;
  const literal = net.isIP(host);
  if (literal) addrs = [{ address: host, family: literal }];
  else {
    try {
      // IPv4 first: containers often have no IPv6 route.
      addrs = await abortable(dns.promises.lookup(host, { all: true, verbatim: false }), signal);
    } catch (e) {
      if (e instanceof AddressError) throw e;
      throw new AddressError('dns_failed');
    }
  }
  if (addrs.length === 0) throw new AddressError('dns_failed');
  // One private address among several is refused too: which one a client picks is not ours to know.
  if (!allowPrivate && addrs.some((a) => isPrivateAddress(a.address))) throw new AddressError('private_address');
  return addrs.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

/**
 * A `lookup` for http(s).request: whatever name the socket layer asks about, it gets
 * the addresses that were checked (all of them when it tries several, as Node's happy
 * eyeballs does).
 */
export function pinnedLookup(to: CheckedAddress[]): net.LookupFunction {
  const first = to[0]!;
  return (_host, opts, cb) => {
    if (opts.all) cb(null, to.map((a) => ({ address: a.address, family: a.family })));
    else cb(null, first.address, first.family);
  };
}

/**
 * An http(s) request to `u` that connects only to `to` (the checked addresses of its
 * host) on a socket of its own: a pooled one might have been opened to another address.
 * Redirects are not followed (node's http never does); the caller ends the request.
 */
export function pinnedRequest(u: URL, to: CheckedAddress[], init: { method: string; headers: Record<string, string>; signal?: AbortSignal }, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
  const mod = u.protocol === 'https:' ? https : http;
  return mod.request(
    {
      protocol: u.protocol,
      hostname: hostOf(u),
      port: u.port || undefined,
      path: `${u.pathname}${u.search}`,
      method: init.method,
      headers: init.headers,
      lookup: pinnedLookup(to),
      agent: false,
      ...(init.signal ? { signal: init.signal } : {}),
    },
    onResponse,
  );
}
