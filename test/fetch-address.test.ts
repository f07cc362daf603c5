// The SSRF address check: every address form that can lead back inside is refused,
// including IPv6 prefixes that tunnel or translate to an internal IPv4 address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressRange, isPrivateAddress } from '../src/overlays/fetch-image.ts';

test('tunnelled, translated, mapped and reserved forms of internal addresses are refused', () => {
  const refused: Record<string, string> = {
    '2001:0::1': 'teredo',
    '2002:7f00:1::1': '6to4', // 6to4 of 127.0.0.1
    '64:ff9b::7f00:1': 'rfc6052', // NAT64 of 127.0.0.1
    '64:ff9b:1::a9fe:a9fe': 'rfc6052', // local-use NAT64 (RFC 8215)
    '::ffff:127.0.0.1': 'loopback',
    '::ffff:0:7f00:1': 'rfc6145', // IPv4-translated
    '::7f00:1': 'ipv4Compatible',
    'fc00::1': 'uniqueLocal',
    '169.254.169.254': 'linkLocal', // cloud metadata
    '100.64.0.1': 'carrierGradeNat',
    '192.0.2.1': 'reserved',
    '198.18.0.1': 'reserved',
    '2001:db8::1': 'reserved',
    '100::1': 'discard',
    '255.255.255.255': 'broadcast',
    'ff02::1': 'multicast',
  };
  for (const [ip, range] of Object.entries(refused)) {
    assert.equal(addressRange(ip), range, ip);
    assert.equal(isPrivateAddress(ip), true, ip);
  }
  // Not canonical IP text (what no resolver returns) is refused too.
  for (const s of ['0x7f.1', '2130706433', 'localhost', '']) assert.equal(isPrivateAddress(s), true, s);
  for (const ip of ['8.8.8.8', '::ffff:8.8.8.8', '2606:4700::1111']) assert.equal(isPrivateAddress(ip), false, ip);
});
