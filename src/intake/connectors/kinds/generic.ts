// Any tool or script that can POST JSON: signed the Standard Webhooks way
// (webhook-id, webhook-timestamp, webhook-signature; secrets "whsec_…"; 5
// minutes' tolerance, checked by the standardwebhooks package), or carrying
// `Authorization: Bearer <connector secret>`.
import { Webhook } from 'standardwebhooks';
import { bearerMatches, header, identityFrom, jsonBody, unauthorized } from '../identity.ts';
import type { ConnectorKind } from '../types.ts';

/** The message verified by Standard Webhooks needs all three headers. */
function signed(req: Parameters<ConnectorKind['authenticate']>[0]) {
  const id = header(req, 'webhook-id');
  const timestamp = header(req, 'webhook-timestamp');
  const signature = header(req, 'webhook-signature');
  return id && timestamp && signature ? { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature } : null;
}

export const generic: ConnectorKind = {
  kind: 'generic',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  secretProblem: (s) =>
    s.startsWith('whsec_') ? (Buffer.from(s.slice(6), 'base64').length >= 24 ? null : 'a "whsec_" secret must carry at least 24 base64 bytes') : s.length >= 24 ? null : 'must be "whsec_<base64>" or a bearer key of at least 24 characters',

  authenticate(req, connector) {
    const headers = signed(req);
    if (headers) {
      for (const s of connector.secrets.filter((x) => x.startsWith('whsec_'))) {
        try {
          new Webhook(s).verify(req.rawBody, headers);
          return;
        } catch {
          /* the next secret may verify (rotation) */
        }
      }
      throw unauthorized('the webhook signature does not verify, or its timestamp is more than 5 minutes off');
    }
    if (req.headers.authorization !== undefined) {
      if (bearerMatches(req, connector)) return;
      throw unauthorized('the bearer key is not one of this connector\'s secrets');
    }
    throw unauthorized('sign the request (webhook-id, webhook-timestamp, webhook-signature) or send Authorization: Bearer <secret>');
  },

  payload: (req) => (req.method === 'GET' ? req.query : jsonBody(req)),
  identity: (_req, payload, connector) => identityFrom(payload, connector),
  answer: (r) => ({ status: r.created ? 201 : 200, body: answerBody(r) }),
};

/** The flat answer every tool can map (shared by kinds that have no shape of their own). */
export function answerBody(r: Parameters<ConnectorKind['answer']>[0]) {
  return {
    render_id: r.render_id,
    status: r.status,
    watch_url: r.watch_url,
    playlist_url: r.playlist_url,
    mp4_url: r.mp4_url,
    poster_url: r.poster_url,
    expires_at: r.expires_at,
    external_id: r.external_id,
    ...(r.warnings.length ? { warnings: r.warnings } : {}),
  };
}
