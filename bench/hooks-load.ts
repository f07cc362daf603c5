// The hook load generator in its own process (bench/hooks.ts starts it once per kind).
// Every request is a distinct contact, signed the way its tool signs: all of them are
// signed BEFORE the timed run, so the generator's own HMAC/JWT work cannot delay a
// send (the timestamps are still well inside the 5-minute window when they are sent).
// argv[2]: JSON {kind, url, publicUrl, secret, rps, seconds, warmupSeconds, tag}; prints a LoadResult as JSON.
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { Webhook } from 'standardwebhooks';
import { fixedRateLoad } from './lib/load.ts';

export type HookKind = 'generic' | 'hubspot' | 'sfmc';
const o = JSON.parse(process.argv[2] ?? '{}') as { kind: HookKind; url: string; publicUrl: string; secret: string; rps: number; seconds: number; warmupSeconds: number; tag: string };
const EXPECT: Record<HookKind, number> = { generic: 201, hubspot: 200, sfmc: 200 };

/** What the tool sends for contact i: a Japanese name split in two, the amount as text, product ids as "a;b". */
const fields = (i: number) => ({ lastname: '負荷', firstname: `太郎${i}`, amount: String(1000 + i), rec_skus: `SKU${i % 20};SKU${(i + 7) % 20}` });

const total = Math.round(o.rps * (o.seconds + o.warmupSeconds));
const bodies: string[] = new Array(total);
const headers: Array<Record<string, string>> = new Array(total);
const t0 = performance.now();
const url = new URL(o.url);
const wh = o.kind === 'generic' ? new Webhook(o.secret) : undefined;
const jwtKey = new TextEncoder().encode(o.secret);
for (let i = 0; i < total; i++) {
  const contact = `${o.tag}-${i}`;
  if (o.kind === 'generic') {
    const body = JSON.stringify({ contact_id: contact, ...fields(i) });
    const id = `msg_${o.tag}_${i}`;
    const at = new Date();
    bodies[i] = body;
    headers[i] = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': wh!.sign(id, at, body) };
  } else if (o.kind === 'hubspot') {
    // A custom body as the workflow action sends it; v3 signs METHOD + the URI HubSpot called + body + timestamp (ms).
    const body = JSON.stringify({ contact_id: contact, ...fields(i) });
    const ts = String(Date.now());
    bodies[i] = body;
    headers[i] = { 'x-hubspot-signature-v3': createHmac('sha256', o.secret).update(`POST${o.publicUrl}${url.pathname}${body}${ts}`).digest('base64'), 'x-hubspot-request-timestamp': ts };
  } else {
    // Journey Builder's execute: the whole body is a JWT (HS256) whose inArguments are one-key objects.
    const f = fields(i);
    const claims = { inArguments: [{ contactKey: contact }, { lastname: f.lastname }, { firstname: f.firstname }, { amount: f.amount }, { rec_skus: f.rec_skus }], outArguments: [], activityObjectID: 'bench-activity', journeyId: 'bench-journey', activityId: 'bench-activity', definitionInstanceId: 'bench-def', activityInstanceId: `bench-ai-${i}`, keyValue: contact, mode: 0 };
    bodies[i] = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('10m').sign(jwtKey);
    headers[i] = {};
  }
}
const signMs = performance.now() - t0;
const contentType = o.kind === 'sfmc' ? 'application/jwt' : 'application/json';
const result = await fixedRateLoad({
  url: o.url,
  headers: { 'content-type': contentType },
  headersFor: (i) => headers[i]!,
  rps: o.rps,
  seconds: o.seconds,
  warmupSeconds: o.warmupSeconds,
  expectStatus: EXPECT[o.kind],
  body: (i) => bodies[i]!,
});
process.stdout.write(JSON.stringify({ ...result, signMs }));
