// Credentials travel in URLs more often than they should (an API key pasted
// as ?api_key=, a signed viewer token in /v/<token>/): the request log gets the
// URL's shape, never the secret.

/** Query parameters that carry a credential, compared case-insensitively with "-" and "_" ignored. */
const SECRET_PARAMS = new Set(['key', 'apikey', 'token', 'accesstoken', 'authtoken', 'authorization', 'auth', 'bearer', 'signature', 'sig', 'secret', 'password', 'pass', 'pwd', 'session', 'sessionid', 'jwt', 'credential', 'credentials', 'clientsecret', 'refreshtoken', 'idtoken', 'code', 'xamzsignature', 'xamzcredential', 'xamzsecuritytoken']);

const isSecret = (name: string) => {
  const n = name.toLowerCase().replace(/[-_]/g, '');
  return SECRET_PARAMS.has(n) || n.endsWith('key') || n.endsWith('token') || n.endsWith('secret') || n.endsWith('signature');
};

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(/\/v\/[^/?#]+/, '/v/<token>');
  if (q < 0) return path;
  // Connector hooks (Braze Connected Content) carry a contact's data in the query: none of it is logged.
  if (path.startsWith('/hooks/')) return `${path}?<redacted>`;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      let name = eq < 0 ? pair : pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        /* a malformed name is compared as written */
      }
      return isSecret(name) ? `${pair.slice(0, eq < 0 ? pair.length : eq)}=<redacted>` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}
