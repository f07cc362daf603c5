// KARTE Hook v2, Webhook channel. KARTE signs each request with the API v2
// app's Client Secret: X-Karte-Signature = HMAC-SHA256 over
// "<X-Karte-Request-Timestamp>:<raw body>", the timestamp in Unix seconds.
// KARTE's page does not show the digest's encoding, so hex and base64 (with an
// optional "sha256=" prefix) are both accepted: each is the same secret-bound MAC.
// Hook v2 may deliver the same event twice; its unique `id` is the event id, and
// the same contact + campaign + data answers the same render anyway.
// Hook v2 fires on KARTE Talk and Datahub events only; per-user actions call
// Kasane from KARTE Craft through the generic kind (docs/integrations/karte.md).
import { createHmac } from 'node:crypto';
import { header, identityFrom, jsonBody, sameSecret, unauthorized } from '../identity.ts';
import type { ConnectorKind } from '../types.ts';
import { answerBody } from './generic.ts';

/** KARTE leaves the window to the receiver; Standard Webhooks' 5 minutes, both ways. */
const TOLERANCE_S = 300;

export const karte: ConnectorKind = {
  kind: 'karte',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  secretProblem: (s) => (s.length >= 16 ? null : 'must be the Client Secret of the KARTE API v2 app (16+ characters)'),

  authenticate(req, connector) {
    const ts = header(req, 'x-karte-request-timestamp');
    const given = header(req, 'x-karte-signature')?.trim().replace(/^sha256=/i, '');
    if (!ts || !given) throw unauthorized('send X-Karte-Request-Timestamp and X-Karte-Signature (KARTE Hook v2 signs every request)');
    if (!/^\d{1,12}$/.test(ts) || Math.abs(req.receivedAt / 1000 - Number(ts)) > TOLERANCE_S) {
      throw unauthorized('X-Karte-Request-Timestamp is more than 5 minutes off (or not Unix seconds); check the clocks');
    }
    const signed = Buffer.concat([Buffer.from(`${ts}:`), req.rawBody]);
    const asHex = /^[0-9a-f]+$/i.test(given) ? given.toLowerCase() : given;
    for (const s of connector.secrets) {
      const mac = createHmac('sha256', s).update(signed).digest();
      // Both comparisons always run, so timing does not tell which encoding was tried.
      const hex = sameSecret(asHex, mac.toString('hex'));
      const b64 = sameSecret(given, mac.toString('base64'));
      if (hex || b64) return;
    }
    throw unauthorized('X-Karte-Signature does not verify with the connector\'s Client Secret');
  },

  payload: (req) => jsonBody(req),
  identity(_req, payload, connector) {
    const id = (payload as { id?: unknown } | null)?.id;
    return { ...identityFrom(payload, connector), ...(typeof id === 'string' && id ? { eventId: id } : {}) };
  },
  answer: (r) => ({ status: r.created ? 201 : 200, body: answerBody(r) }),
};
