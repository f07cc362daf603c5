// A template folder the operator dropped or chose, zipped in the browser (fflate, no
// worker: the page's CSP allows scripts from this origin only) so it uploads like a zip.
// Paths are relative to the folder itself, so template.json is at the top of the zip.
import { zipSync, type Zippable } from 'fflate';

export interface FolderFile {
  /** Path including the chosen folder's own name: "my-template/images/logo.png". */
  path: string;
  file: File;
}

// Already compressed: stored as they are (deflating a video costs seconds and saves nothing).
const STORED = /\.(mp4|m4v|mov|webm|png|jpe?g|webp|gif|woff2?|zip)$/i;

/** Files of a <input webkitdirectory> selection, each with its path under the chosen folder. */
export function filesOfInput(list: FileList): FolderFile[] {
  return [...list].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** Every file under a dropped directory, walked through the File and Directory Entries API. */
export async function filesOfEntry(root: FileSystemDirectoryEntry): Promise<FolderFile[]> {
  const out: FolderFile[] = [];
  const walk = async (dir: FileSystemDirectoryEntry, prefix: string): Promise<void> => {
    const reader = dir.createReader();
    // readEntries answers in batches (100 in Chromium) until an empty one.
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
      if (!batch.length) return;
      for (const e of batch) {
        const p = `${prefix}/${e.name}`;
        if (e.isDirectory) await walk(e as FileSystemDirectoryEntry, p);
        else if (e.isFile) out.push({ path: p, file: await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej)) });
      }
    }
  };
  await walk(root, root.name);
  return out;
}

/**
 * The folder as `<folder>.zip`. The folder's own name is dropped from every path; files
 * and folders whose name starts with "." (.DS_Store, .git) are left out, as `kasane
 * template push` leaves them out.
 */
export async function zipFolder(files: FolderFile[]): Promise<File> {
  const folder = files[0]?.path.split('/')[0] || 'template';
  const entries: Zippable = {};
  for (const { path, file } of files) {
    const parts = path.split('/').slice(1);
    if (!parts.length || parts.some((p) => p.startsWith('.') || p === '')) continue;
    const data = new Uint8Array(await file.arrayBuffer());
    entries[parts.join('/')] = [data, { level: STORED.test(path) ? 0 : 6 }];
  }
  const zipped = zipSync(entries);
  return new File([zipped], `${folder}.zip`, { type: 'application/zip' });
}
