// Entry point of the child process that checks an uploaded package
// (argv: zip file, destination folder); prints the PackageCheck as JSON.
import { checkPackage } from './check-package.ts';

const [zip, dest] = process.argv.slice(2);
if (!zip || !dest) {
  console.error('usage: check-package-process <zip> <dest-dir>');
  process.exit(2);
}
const result = await checkPackage(zip, dest);
// The result to the parent on stdout (its protocol, not a log line).
process.stdout.write(JSON.stringify(result));
