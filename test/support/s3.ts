// A real S3-compatible server for tests: s3rver (the one that installs here), on an
// ephemeral port with a fresh data folder and one bucket.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);
// No type declarations ship with s3rver.
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(): Promise<void> };

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** KASANE_* variables for a service that stores under `prefix` in the bucket. */
  env(prefix?: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(bucket = 'kasane-test'): Promise<TestS3> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kasane-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: (prefix = 'kasane') => ({
      KASANE_STORAGE: `s3://${bucket}/${prefix}`,
      KASANE_S3_ENDPOINT: endpoint,
      KASANE_S3_REGION: 'us-east-1',
      KASANE_S3_FORCE_PATH_STYLE: '1',
      // s3rver's fixed credentials.
      KASANE_S3_ACCESS_KEY_ID: 'S3RVER',
      KASANE_S3_SECRET_ACCESS_KEY: 'S3RVER',
    }),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
