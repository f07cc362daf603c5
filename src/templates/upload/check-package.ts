// Everything an upload needs checked before it becomes a version: unzip safely,
// validate the template (schema, files, fonts, worst-case overflow, video), and
// derive its content-addressed version id.
import type { Problem } from '../package/problems.ts';
import { extractPackage } from '../package/index.ts';
import { blocking, validatePackage } from '../validate-package.ts';
import { templateVersion } from '../prepare.ts';
import type { Manifest } from '../manifest.ts';

export type PackageCheck =
  | { ok: true; manifest: Manifest; version: string; notes: Problem[] }
  | { ok: false; code: 'invalid_package' | 'invalid_template'; message: string; problems: Problem[] };

export async function checkPackage(zipFile: string, destDir: string): Promise<PackageCheck> {
  const extracted = await extractPackage(zipFile, destDir);
  if (extracted.problems.length) return { ok: false, code: 'invalid_package', message: `${extracted.problems.length} problem(s) in the package`, problems: extracted.problems };
  const report = await validatePackage(destDir);
  const stop = blocking(report.problems);
  if (stop.length || !report.manifest) return { ok: false, code: 'invalid_template', message: `${stop.length} problem(s) in the template`, problems: stop };
  return { ok: true, manifest: report.manifest, version: await templateVersion(destDir, report.manifest), notes: report.problems.filter((q) => !stop.includes(q)) };
}
