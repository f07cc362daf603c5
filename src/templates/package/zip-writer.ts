// Zips files in memory so `kasane template push <dir>` can upload a folder through the
// same API as the web upload. yazl writes the zip (deflate, UTF-8 names, zip64 when needed);
// it refuses absolute and `..` names, which a package never needs.
import { buffer } from 'node:stream/consumers';
import yazl from 'yazl';

export async function zipFiles(files: Array<{ name: string; data: Buffer }>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  // A fixed time keeps the bytes of the same folder identical from push to push.
  const mtime = new Date(Date.UTC(2000, 0, 1));
  for (const f of files) zip.addBuffer(f.data, f.name, { mtime, mode: 0o100644 });
  zip.end();
  return buffer(zip.outputStream);
}
