// docs/openapi.json is what the API generates (@fastify/swagger from the routes'
// JSON Schemas), and a structurally valid OpenAPI 3.1 document: every path has
// operations, every path parameter is declared, every $ref resolves, every /v1
// operation has a tag and a summary, and nothing but /v1 is described.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openApiDocument, OPENAPI_FILE } from '../scripts/openapi.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
let generated: string;
let spec: any;

before(async () => {
  generated = await openApiDocument();
  spec = JSON.parse(generated);
});

test('docs/openapi.json is in sync with the routes', () => {
  const committed = readFileSync(OPENAPI_FILE, 'utf8');
  if (committed !== generated) {
    const a = committed.split('\n');
    const b = generated.split('\n');
    const at = a.findIndex((l, i) => l !== b[i]);
    assert.fail(`docs/openapi.json is out of date (first difference at line ${at + 1}: committed ${JSON.stringify(a[at])}, generated ${JSON.stringify(b[at])}). Run \`npm run openapi\` and commit the file.`);
  }
});

test('the document is OpenAPI 3.1 with a bearer scheme, and describes only the keyed /v1 API', () => {
  assert.equal(spec.openapi, '3.1.0');
  assert.equal(typeof spec.info?.title, 'string');
  assert.equal(typeof spec.info?.version, 'string');
  assert.deepEqual(spec.components?.securitySchemes?.bearer, { type: 'http', scheme: 'bearer', description: spec.components.securitySchemes.bearer.description });
  for (const req of spec.security ?? []) for (const name of Object.keys(req)) assert.ok(spec.components.securitySchemes[name], `security names an unknown scheme "${name}"`);
  const paths = Object.keys(spec.paths ?? {});
  assert.ok(paths.length >= 20, `only ${paths.length} paths`);
  assert.deepEqual(paths.filter((p) => !p.startsWith('/v1/')), [], 'viewer, hook, health, metrics, admin and docs routes are hidden');
  for (const must of ['/v1/renders', '/v1/renders/{id}', '/v1/templates', '/v1/templates/{id}/preview', '/v1/webhook-endpoints']) assert.ok(spec.paths[must], must);
});

test('every path has operations with a tag, a summary, responses and its path parameters declared', () => {
  const tags = new Set((spec.tags ?? []).map((t: { name: string }) => t.name));
  const seenIds = new Set<string>();
  for (const [p, item] of Object.entries<any>(spec.paths)) {
    assert.equal(p.includes(':'), false, `${p}: fastify's ":param" syntax leaked into the spec`);
    const ops = Object.keys(item).filter((k) => METHODS.includes(k));
    assert.ok(ops.length > 0, `${p} has no operations`);
    const pathParams = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const m of ops) {
      const op = item[m];
      const where = `${m.toUpperCase()} ${p}`;
      assert.ok(Array.isArray(op.tags) && op.tags.length > 0 && op.tags.every((t: string) => tags.has(t)), `${where}: tags ${JSON.stringify(op.tags)} must be declared in the top-level tags`);
      assert.ok(typeof op.summary === 'string' && op.summary.length > 0, `${where}: no summary (add it to OPERATIONS in src/api/openapi.ts)`);
      assert.ok(op.responses && Object.keys(op.responses).length > 0, `${where}: no responses`);
      if (op.operationId) {
        assert.ok(!seenIds.has(op.operationId), `${where}: duplicate operationId`);
        seenIds.add(op.operationId);
      }
      const declared = (op.parameters ?? []).filter((x: any) => x.in === 'path').map((x: any) => x.name);
      for (const name of pathParams) assert.ok(declared.includes(name), `${where}: path parameter {${name}} not declared`);
      for (const x of op.parameters ?? []) {
        assert.ok(['path', 'query', 'header', 'cookie'].includes(x.in), `${where}: parameter in "${x.in}"`);
        if (x.in === 'path') assert.equal(x.required, true, `${where}: path parameter ${x.name} must be required`);
        assert.ok(x.schema || x.content, `${where}: parameter ${x.name} has neither schema nor content`);
      }
      if (op.requestBody) assert.ok(Object.keys(op.requestBody.content ?? {}).length > 0, `${where}: requestBody without content`);
    }
  }
});

test('every $ref resolves, and no validation-only keyword is left in the schemas', () => {
  const refs: string[] = [];
  const leftovers: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}/${i}`));
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') refs.push(x);
      if (k === 'errorMessage') leftovers.push(at);
      walk(x, `${at}/${k}`);
    }
  };
  walk(spec, '');
  assert.deepEqual(leftovers, [], 'ajv-errors messages become descriptions');
  for (const ref of refs) {
    assert.ok(ref.startsWith('#/'), `external $ref ${ref}`);
    let node: any = spec;
    for (const part of ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))) node = node?.[part];
    assert.ok(node !== undefined, `$ref ${ref} does not resolve`);
  }
});
