// Runs checkPackage in a child process. Validation loads fonts and a canvas,
// decodes images and probes video: done inside the API it would add ~70 MB to
// the API's memory for good and hold its event loop (accept latency) for the
// length of a big package's checks.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../config/index.ts';
import type { PackageCheck } from './check-package.ts';

const ENTRY = new URL(`./check-package-process${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export function checkPackageIsolated(zipFile: string, destDir: string, timeoutMs = 10 * 60_000): Promise<PackageCheck> {
  const file = fileURLToPath(ENTRY);
  // Running from TypeScript sources (tsx): the child needs the same loader.
  const args = file.endsWith('.ts') ? ['--import', 'tsx', file, zipFile, destDir] : [file, zipFile, destDir];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString('utf8')).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => reject(e));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`package check failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`));
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as PackageCheck);
      } catch {
        reject(new Error('package check returned no result'));
      }
    });
  });
}
