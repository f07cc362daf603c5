// Connector kinds: one module per MA tool, each exporting a ConnectorKind
// (../types.ts documents every method).
//
// How to add a kind:
//  1. Its name is already in KINDS (../types.ts); write kinds/<kind>.ts exporting
//     `export const <kind>: ConnectorKind = {...}` (~50-120 lines). Build to the
//     tool's current documentation: how it signs or authenticates (authenticate,
//     over req.rawBody, never a re-serialised body; 401 via unauthorized()), where
//     its data is (payload: parsed JSON, query, inArguments...), what answer it can
//     map (answer; answerBody() in generic.ts is the flat shape).
//  2. Use identity.ts helpers: identityFrom (contact/campaign by the connector's
//     paths), jsonBody, header, sameSecret (constant time), bearerMatches.
//  3. Put its kind-specific settings in optionsSchema (JSON Schema; the API checks
//     connector.options against it) and say what a good secret is in secretProblem.
//  4. Register it in KIND_MODULES below; add a test in test/connectors-<kind>.test.ts
//     with payloads shaped as the tool's documentation shows, and
//     docs/integrations/<kind>.md.
// Mapping, catalog, accept, idempotency and the 404/401 "nothing stored" rule are
// shared (../hook.ts); a kind never stores anything.
import type { ConnectorKind, Kind } from '../types.ts';
import { braze } from './braze.ts';
import { generic } from './generic.ts';
import { hubspot } from './hubspot.ts';
import { karte } from './karte.ts';
import { marketo } from './marketo.ts';
import { sfmc } from './sfmc.ts';

/** Every kind is built: a connector of any kind in KINDS can be created. */
export const KIND_MODULES: Record<Kind, ConnectorKind> = {
  generic,
  hubspot,
  marketo,
  braze,
  sfmc,
  karte,
};

export function kindOf(kind: Kind): ConnectorKind | undefined {
  return KIND_MODULES[kind];
}
