// `npm run openapi`: writes docs/openapi.json from the running API's routes
// (@fastify/swagger, src/api/openapi.ts). test/openapi.test.ts fails when the
// committed file differs. The API starts with a fixed environment (defaults, no
// operator settings), so the file is the same on every machine.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startService } from '../src/runtime.ts';
import { PROJECT_ROOT } from '../src/config/index.ts';
import { stableJson } from '../src/api/openapi.ts';

export const OPENAPI_FILE = path.join(PROJECT_ROOT, 'docs', 'openapi.json');

/** The OpenAPI document as committed: sorted keys, 2-space JSON. */
export async function openApiDocument(): Promise<string> {
  const varDir = mkdtempSync(path.join(os.tmpdir(), 'kasane-openapi-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...(process.env.REDIS_SERVER_PATH ? { REDIS_SERVER_PATH: process.env.REDIS_SERVER_PATH } : {}),
    KASANE_VAR_DIR: varDir,
    KASANE_API_KEYS: 'openapi-generation-key-0000',
    KASANE_SIGNING_KEYS: 'k1:openapi-generation-secret-0000',
    KASANE_CONTENT_SECRET: 'openapi-generation-secret-0000',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  };
  const svc = await startService({ api: true, worker: false, env, logger: false });
  try {
    await svc.app!.ready();
    return stableJson(svc.app!.swagger());
  } finally {
    await svc.close();
    rmSync(varDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(OPENAPI_FILE, await openApiDocument());
  console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
}
