// Fetches an image named by a URL in a person's data (a product photo) under
// the fetch policy. The URL is attacker-influenced, so: https only, allowed
// hosts only, our own DNS resolution with private ranges refused, and the
// connection made to exactly the address we checked (no DNS rebinding), with
// byte, pixel and time limits. Errors carry a short reason code and never the URL.
// Hand-written on node:http(s) rather than fetch(): only a request with our own
// `lookup` lets us connect to the address we checked and count bytes as they come.
import http from 'node:http';
import { loadImage } from '@napi-rs/canvas';
import type { ImageFetchPolicy } from './draw-layer.ts';
import { addressRange, AddressError, hostOf, isPrivateAddress, pinnedRequest, resolveChecked, type CheckedAddress } from './safe-address.ts';

export type ImageFetchReason =
  | 'bad_url'
  | 'not_https'
  | 'not_allowed_host'
  | 'private_address'
  | 'dns_failed'
  | 'timeout'
  | 'network'
  | 'http_status'
  | 'too_many_redirects'
  | 'too_large'
  | 'too_many_pixels'
  | 'not_an_image';

export class ImageFetchError extends Error {
  override readonly name = 'ImageFetchError';
  constructor(
    readonly reason: ImageFetchReason,
    detail?: string,
  ) {
    // Only the code and non-personal detail (a status code): messages end up in logs.
    super(detail ? `${reason} (${detail})` : reason);
  }
}

const MAX_REDIRECTS = 2;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/webp', 'image/gif']);
// Header dimensions are looked for in the first bytes only; JPEG's frame header
// usually follows EXIF/ICC data, which is rarely larger than this.
const SNIFF_LIMIT = 512 * 1024;

// ---------------------------------------------------------------- addresses

// The address rules live in safe-address.ts (event delivery uses them too).
export { addressRange, isPrivateAddress };

/** 'cdn.example.jp' matches only itself; '*.example.jp' matches any subdomain (not example.jp). */
export function hostAllowed(host: string, allowHosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowHosts.some((raw) => {
    const p = String(raw).trim().toLowerCase().replace(/\.$/, '');
    if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
    return p !== '' && h === p;
  });
}

// ---------------------------------------------------------------- image headers

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

/** The format from the magic bytes, and the dimensions from the header once enough bytes are there. */
export function imageInfo(b: Buffer): { format: ImageFormat; width?: number; height?: number } | undefined {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) {
    if (b.length >= 24 && b.toString('latin1', 12, 16) === 'IHDR') return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
    return { format: 'png' };
  }
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) {
    return b.length >= 10 ? { format: 'gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : { format: 'gif' };
  }
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    if (b.length < 30) return { format: 'webp' };
    const chunk = b.toString('latin1', 12, 16);
    if (chunk === 'VP8 ') return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
    if (chunk === 'VP8L' && b[20] === 0x2f) {
      const bits = b.readUInt32LE(21);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { format: 'webp', width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
    return { format: 'webp' };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    let i = 2;
    while (i + 4 <= b.length) {
      if (b[i] !== 0xff) return { format: 'jpeg' }; // lost sync: dimensions unknown
      const m = b[i + 1]!;
      if (m === 0xff) {
        i++; // fill byte
        continue;
      }
      if (m === 0x01 || (m >= 0xd0 && m <= 0xd9)) {
        i += 2; // markers without a length
        continue;
      }
      const len = b.readUInt16BE(i + 2);
      // Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        if (i + 9 > b.length) return { format: 'jpeg' };
        return { format: 'jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
      }
      if (m === 0xda) return { format: 'jpeg' }; // scan data before any frame header
      i += 2 + len;
    }
    return { format: 'jpeg' };
  }
  return undefined;
}

// ---------------------------------------------------------------- fetching

function parseTarget(raw: string, policy: ImageFetchPolicy): URL {
  let u: URL;
  try {
    u = new URL(String(raw).trim());
  } catch {
    throw new ImageFetchError('bad_url');
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password) throw new ImageFetchError('bad_url');
  if (!hostAllowed(hostOf(u), policy.allowHosts)) throw new ImageFetchError('not_allowed_host');
  return u;
}

// Plain http only where private addresses are allowed too (tests, on-prem
// image servers). Checked after the address, so a URL to a private address
// reports that, the more fundamental refusal; either way nothing is sent.
function checkScheme(u: URL, policy: ImageFetchPolicy): void {
  if (u.protocol !== 'https:' && !policy.allowPrivate) throw new ImageFetchError('not_https');
}

type Hop = { kind: 'redirect'; location: string } | { kind: 'body'; body: Buffer };
/** Ends a request once: with an error, or with its outcome. Later calls are ignored. */
type Finish = (err: unknown, hop?: Hop) => void;

function requestOnce(u: URL, to: CheckedAddress[], policy: ImageFetchPolicy, signal: AbortSignal): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    let settled = false;
    const finish: Finish = (err, hop) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err instanceof ImageFetchError ? err : new ImageFetchError('network'));
      } else resolve(hop!);
    };
    const onAbort = () => finish(new ImageFetchError('timeout'));
    const req = pinnedRequest(
      u,
      to,
      { method: 'GET', headers: { accept: 'image/png,image/jpeg,image/webp,image/gif', 'accept-encoding': 'identity', 'user-agent': 'kasane-image-fetch/1' } },
      (res) => onResponse(res, policy, finish, () => settled),
    );
    req.on('error', (e) => finish(e));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

/** A redirect, a refused status or type, or an image body read under the byte and pixel limits. */
function onResponse(res: http.IncomingMessage, policy: ImageFetchPolicy, finish: Finish, settled: () => boolean): void {
  const status = res.statusCode ?? 0;
  if ([301, 302, 303, 307, 308].includes(status)) {
    const location = res.headers.location;
    res.resume();
    if (!location) return finish(new ImageFetchError('http_status', String(status)));
    return finish(null, { kind: 'redirect', location });
  }
  if (status !== 200) {
    res.resume();
    return finish(new ImageFetchError('http_status', String(status)));
  }
  const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!IMAGE_TYPES.has(type)) return finish(new ImageFetchError('not_an_image', 'content-type'));
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > policy.maxBytes) return finish(new ImageFetchError('too_large'));
  readBody(res, policy, finish, settled);
}

function readBody(res: http.IncomingMessage, policy: ImageFetchPolicy, finish: Finish, settled: () => boolean): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let sized = false;
  res.on('data', (chunk: Buffer) => {
    if (settled()) return;
    size += chunk.length;
    if (size > policy.maxBytes) return finish(new ImageFetchError('too_large'));
    chunks.push(chunk);
    // Refuse a decompression bomb from its header, before the rest arrives.
    if (!sized && size <= SNIFF_LIMIT) {
      const info = imageInfo(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      if (info?.width !== undefined && info.height !== undefined) {
        sized = true;
        if (info.width * info.height > policy.maxPixels) finish(new ImageFetchError('too_many_pixels'));
      }
    }
  });
  res.on('end', () => finish(null, { kind: 'body', body: Buffer.concat(chunks) }));
  res.on('error', (e) => finish(e));
  // A connection closed mid-body: 'close' without 'end' (finish ignores the later call after 'end').
  res.on('close', () => finish(new ImageFetchError('network')));
}

async function checkImage(body: Buffer, policy: ImageFetchPolicy): Promise<void> {
  const info = imageInfo(body);
  if (!info || info.width === undefined || info.height === undefined || info.width === 0 || info.height === 0) throw new ImageFetchError('not_an_image');
  if (info.width * info.height > policy.maxPixels) throw new ImageFetchError('too_many_pixels');
  let img: Awaited<ReturnType<typeof loadImage>>;
  try {
    img = await loadImage(body);
  } catch {
    throw new ImageFetchError('not_an_image');
  }
  if (!(img.width > 0 && img.height > 0)) throw new ImageFetchError('not_an_image');
  if (img.width * img.height > policy.maxPixels) throw new ImageFetchError('too_many_pixels');
}

/**
 * GETs an image under `policy` and returns its bytes (PNG, JPEG, WebP or GIF,
 * checked to decode). Throws ImageFetchError; never reaches a host or address
 * the policy does not allow, follows at most 2 redirects (each checked again),
 * and gives up after policy.timeoutMs for the whole exchange.
 */
export async function fetchImage(url: string, policy: ImageFetchPolicy): Promise<Buffer> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), Math.max(1, policy.timeoutMs));
  try {
    let u = parseTarget(url, policy);
    for (let hop = 0; ; hop++) {
      const to = await resolveChecked(hostOf(u), policy.allowPrivate, ac.signal).catch((e: unknown) => {
        throw e instanceof AddressError ? new ImageFetchError(e.reason) : e;
      });
      checkScheme(u, policy);
      const r = await requestOnce(u, to, policy, ac.signal);
      if (r.kind === 'body') {
        await checkImage(r.body, policy);
        return r.body;
      }
      if (hop >= MAX_REDIRECTS) throw new ImageFetchError('too_many_redirects');
      let next: string;
      try {
        next = new URL(r.location, u).href;
      } catch {
        throw new ImageFetchError('bad_url');
      }
      u = parseTarget(next, policy);
    }
  } catch (e) {
    throw e instanceof ImageFetchError ? e : new ImageFetchError('network');
  } finally {
    clearTimeout(timer);
  }
}
