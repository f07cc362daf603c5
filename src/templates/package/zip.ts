// Unpacks an uploaded template package (a zip) without trusting it: names that
// escape the folder, links, encrypted entries and zip bombs are refused, and
// sizes are counted from the inflated data, never taken from the headers.
// Every problem is reported at once; on any problem nothing is left in destDir.
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import yauzl from 'yauzl';
import { problem, filePointer, zipPointer, type Problem } from './problems.ts';

export interface PackageLimits {
  /** Files in the package (folders and OS junk such as __MACOSX/ not counted). */
  maxFiles: number;
  /** Sum of the files' real (inflated) sizes. */
  maxTotalBytes: number;
  /** Largest inflated/compressed ratio allowed for an entry once it has inflated past ratioAfterBytes. */
  maxRatio: number;
  ratioAfterBytes: number;
  /** Size of the uploaded zip itself. */
  maxZipBytes: number;
}

export const DEFAULT_LIMITS: PackageLimits = {
  maxFiles: 200,
  maxTotalBytes: 1024 ** 3,
  maxRatio: 200,
  ratioAfterBytes: 1024 ** 2,
  maxZipBytes: 500 * 1024 ** 2,
};

// Reporting thousands of bad names helps nobody; past this we summarize.
const MAX_PROBLEMS = 100;

/** Adds problems up to MAX_PROBLEMS, then one line saying how many more there were. */
function capped(problems: Problem[]): (p: Problem) => void {
  let dropped = 0;
  return (p) => {
    if (problems.length < MAX_PROBLEMS) return void problems.push(p);
    dropped++;
    problems[MAX_PROBLEMS] = problem(p.pointer.startsWith('file:') ? filePointer('') : zipPointer(), `…and ${dropped} more problem(s) like the ones above`, `…ほかにも同様の問題が ${dropped} 件あります`);
  };
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

const mib = (n: number) => `${Math.round((n / 1024 ** 2) * 10) / 10} MiB`;
const limitsOf = (l?: Partial<PackageLimits>): PackageLimits => ({ ...DEFAULT_LIMITS, ...l });

/** Files packers add behind the operator's back; silently left out. */
function isJunk(rel: string): boolean {
  const parts = rel.split('/');
  const base = parts[parts.length - 1] ?? '';
  return parts[0] === '__MACOSX' || parts.includes('.git') || base === '.DS_Store' || base === 'Thumbs.db' || base === 'desktop.ini' || base.startsWith('._');
}

/**
 * Why a name (as stored: '/'-separated) is unsafe, or undefined. The same rules
 * serve zip entries and directory uploads, so both refuse the same packages.
 */
function unsafeName(name: string): { en: string; ja: string } | undefined {
  if (name.length === 0) return { en: 'has an empty name', ja: '名前が空です' };
  if (/[\u0000-\u001f\u007f]/.test(name)) return { en: 'has control characters in its name', ja: '名前に制御文字が含まれています' };
  if (name.includes('\\')) return { en: 'uses backslashes (\\) in its path; re-create the zip with a standard zip tool', ja: 'パスに「\\」が使われています。一般的なzipツールで作り直してください' };
  if (/^[A-Za-z]:/.test(name)) return { en: 'has a drive letter (an absolute Windows path)', ja: 'ドライブ名付きの絶対パスです' };
  if (name.startsWith('/')) return { en: 'is an absolute path', ja: '絶対パスです' };
  if (name.split('/').includes('..')) return { en: 'points outside the package with ".."', ja: '「..」でパッケージの外を指しています' };
  if (name.length > 1024 || name.split('/').some((s) => Buffer.byteLength(s) > 255)) return { en: 'has a name that is too long', ja: '名前が長すぎます' };
  return undefined;
}

/** 'a/./b//c' → 'a/b/c', in NFC: macOS zips store Japanese names decomposed (NFD), template.json has them composed. */
function normalizeName(name: string): string {
  return name.split('/').filter((s) => s !== '' && s !== '.').join('/').normalize('NFC');
}

const SJIS = new TextDecoder('shift_jis', { fatal: true });
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Entry names: UTF-8 when flagged (or given in the Info-ZIP Unicode Path field);
 * otherwise UTF-8 if valid (macOS does not set the flag), then Shift_JIS (what
 * Windows' built-in zip writes on Japanese systems), then CP437 as the spec says.
 */
function decodeName(entry: yauzl.Entry): string {
  const raw = entry.fileNameRaw;
  const extra = entry.extraFields ?? [];
  if ((entry.generalPurposeBitFlag & 0x800) !== 0 || extra.some((f) => f.id === 0x7075) || raw.every((b) => b < 0x80)) {
    return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, extra, true);
  }
  for (const d of [UTF8, SJIS]) {
    try {
      return d.decode(raw);
    } catch {
      // try the next encoding
    }
  }
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, [], true);
}

class LimitError extends Error {
  constructor(readonly problem: Problem, readonly stopAll = false) {
    super(problem.message);
  }
}

interface Planned {
  entry: yauzl.Entry;
  stored: string; // name as stored, for zip: pointers
  rel: string; // path inside the package after normalization and top-folder stripping
}

function readEntries(zipfile: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zipfile.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zipfile.readEntry();
    });
    zipfile.on('end', () => resolve(entries));
    zipfile.on('error', reject);
    zipfile.readEntry();
  });
}

const openRaw = (zipfile: yauzl.ZipFile, entry: yauzl.Entry) =>
  new Promise<Readable>((resolve, reject) => zipfile.openReadStream(entry, { decodeFileData: false }, (err, s) => (err ? reject(err) : resolve(s))));

/**
 * Extracts a template package zip into destDir (which should be a fresh, empty
 * folder). Returns the extracted files ('/'-separated, relative to destDir) or,
 * when anything is wrong, no files and every problem found.
 */
/** @param zip the package, in memory or as a file path (uploads are streamed to disk). */
export async function extractPackage(zip: Buffer | string, destDir: string, limits?: Partial<PackageLimits>): Promise<{ files: string[]; problems: Problem[] }> {
  const lim = limitsOf(limits);
  const zipBytes = typeof zip === 'string' ? (await stat(zip)).size : zip.length;
  if (zipBytes > lim.maxZipBytes) {
    return { files: [], problems: [problem(zipPointer(), `the zip is ${mib(zipBytes)}; the limit is ${mib(lim.maxZipBytes)}`, `zipファイルが ${mib(zipBytes)} あります。上限は ${mib(lim.maxZipBytes)} です`)] };
  }
  const opened = await openZip(zip);
  if ('problem' in opened) return { files: [], problems: [opened.problem] };
  const { zipfile } = opened;
  try {
    const listed = await listEntries(zipfile, lim);
    if ('problem' in listed) return { files: [], problems: [listed.problem] };
    const { entries } = listed;
    const problems: Problem[] = [];
    const add = capped(problems);
    const planned = planEntries(entries, add);
    if (refuseBomb(entries, planned, lim, add)) return { files: [], problems };
    stripTopFolder(planned);
    const root = path.resolve(destDir);
    const written = await inflateAll(zipfile, planned, root, lim, problems, add);
    if (problems.length > 0) {
      await removeWritten(root, written);
      return { files: [], problems };
    }
    return { files: planned.map((p) => p.rel), problems: [] };
  } finally {
    zipfile.close();
  }
}

/** Opens the zip (parsed by yauzl), or says that it is not a readable zip. */
async function openZip(zip: Buffer | string): Promise<{ zipfile: yauzl.ZipFile } | { problem: Problem }> {
  try {
    // Kept around yauzl (it parses the zip): names are decoded here (Shift_JIS from Windows),
    // and sizes are checked below from the inflated bytes so a lying header gets a precise
    // problem per file instead of yauzl's generic stream error.
    const opts = { lazyEntries: true, decodeStrings: false, validateEntrySizes: false, autoClose: false };
    const zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      typeof zip === 'string'
        ? yauzl.open(zip, opts, (err, z) => (err ? reject(err) : resolve(z)))
        : yauzl.fromBuffer(zip, opts, (err, z) => (err ? reject(err) : resolve(z))),
    );
    return { zipfile };
  } catch (e) {
    return { problem: problem(zipPointer(), `this is not a readable zip file (${(e as Error).message}); create it again with "Compress" (macOS) or "Send to → Compressed (zipped) folder" (Windows)`, `zipファイルとして読み込めません（${(e as Error).message}）。「圧縮」（macOS）や「送る → 圧縮 (zip 形式) フォルダー」（Windows）で作り直してください`) };
  }
}

/** Every entry of the central directory, or why it cannot be walked (far too many entries, encrypted, damaged). */
async function listEntries(zipfile: yauzl.ZipFile, lim: PackageLimits): Promise<{ entries: yauzl.Entry[] } | { problem: Problem }> {
  // A central directory claiming far more entries than allowed is refused before walking it.
  if (zipfile.entryCount > lim.maxFiles * 10 + 100) return { problem: tooManyFiles(zipfile.entryCount, lim.maxFiles) };
  try {
    return { entries: await readEntries(zipfile) };
  } catch (e) {
    const msg = (e as Error).message;
    if (/strong encryption/.test(msg)) return { problem: problem(zipPointer(), 'the zip is encrypted; upload it without a password', 'zipが暗号化されています。パスワードなしで作成してください') };
    return { problem: problem(zipPointer(), `the zip is damaged (${msg})`, `zipファイルが壊れています（${msg}）`) };
  }
}

/**
 * The files to unpack, from the entries' names and headers: unsafe names, links,
 * special files, encrypted or unsupported entries and duplicates are problems;
 * folders and OS junk are left out.
 */
function planEntries(entries: yauzl.Entry[], add: (p: Problem) => void): Planned[] {
  const planned: Planned[] = [];
  const seen = new Map<string, string>(); // case-folded rel → stored name
  const dirs = new Set<string>(); // case-folded folder paths implied by files
  for (const entry of entries) {
    const stored = decodeName(entry);
    const at = zipPointer(stored);
    const bad = unsafeName(stored);
    if (bad) {
      add(problem(at, `"${stored}" ${bad.en}`, `「${stored}」は${bad.ja}`));
      continue;
    }
    const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
    const isDir = stored.endsWith('/') || mode === S_IFDIR;
    if (mode === S_IFLNK) {
      add(problem(at, `"${stored}" is a symbolic link; put the real file in the package instead`, `「${stored}」はシンボリックリンクです。実際のファイルを入れてください`));
      continue;
    }
    if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) {
      add(problem(at, `"${stored}" is not a regular file`, `「${stored}」は通常のファイルではありません`));
      continue;
    }
    const rel = normalizeName(stored);
    if (isDir || rel === '' || isJunk(rel)) continue;
    if ((entry.generalPurposeBitFlag & 0x1) !== 0) {
      add(problem(at, `"${stored}" is encrypted; create the zip without a password`, `「${stored}」は暗号化されています。パスワードなしでzipを作成してください`));
      continue;
    }
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      add(problem(at, `"${stored}" uses an unsupported compression method (${entry.compressionMethod}); create the zip with standard (Deflate) compression`, `「${stored}」は未対応の圧縮方式（${entry.compressionMethod}）です。標準（Deflate）の圧縮でzipを作成してください`));
      continue;
    }
    const key = rel.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      add(problem(at, `"${stored}" appears twice in the zip (as "${first}"${first === stored ? '' : ', names differing only in upper/lower case or encoding count as the same'}); keep one`, `「${stored}」がzip内に2つあります（「${first}」）。大文字・小文字の違いだけの名前も同じとみなします。1つにしてください`));
      continue;
    }
    seen.set(key, stored);
    const parts = key.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    planned.push({ entry, stored, rel });
  }
  for (const p of planned) {
    if (dirs.has(p.rel.toLowerCase())) add(problem(zipPointer(p.stored), `"${p.stored}" is both a file and a folder in the zip`, `「${p.stored}」がファイルとフォルダーの両方として入っています`));
  }
  return planned;
}

/** Whether the zip is refused before inflating anything: these three mean inflating would be the attack itself. */
function refuseBomb(entries: yauzl.Entry[], planned: Planned[], lim: PackageLimits, add: (p: Problem) => void): boolean {
  const tooMany = planned.length > lim.maxFiles;
  // Headers are believed only when they admit to being too big.
  const declaredTotal = planned.reduce((sum, p) => sum + p.entry.uncompressedSize, 0);
  const declaredTooBig = declaredTotal > lim.maxTotalBytes;
  const overlap = overlapping(entries);
  if (tooMany) add(tooManyFiles(planned.length, lim.maxFiles));
  if (declaredTooBig) add(tooBig(declaredTotal, lim.maxTotalBytes));
  if (overlap) add(problem(zipPointer(), 'entries in the zip overlap each other (a "zip bomb"); create the zip again with a standard tool', 'zip内のデータが重なり合っています（zip爆弾の形式）。一般的なツールで作り直してください'));
  return tooMany || declaredTooBig || overlap;
}

/**
 * Inflates every planned entry into root, even after a problem (into nothing, then),
 * so the operator hears about every bad entry in one go. Returns the files it created.
 */
async function inflateAll(zipfile: yauzl.ZipFile, planned: Planned[], root: string, lim: PackageLimits, problems: Problem[], add: (p: Problem) => void): Promise<string[]> {
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  const written: string[] = [];
  const unpacked = { total: 0 };
  for (const p of planned) {
    const write = problems.length === 0;
    const target = await targetOf(p.rel, root, realRoot, write);
    if (target === undefined) {
      add(problem(zipPointer(p.stored), `"${p.stored}" would be written outside the package folder`, `「${p.stored}」がパッケージのフォルダーの外に書き出されます`));
      continue;
    }
    // 'wx': never write through something already at that path (e.g. a planted link).
    const out = write ? createWriteStream(target, { flags: 'wx' }) : discard();
    // Recorded only once created by us, so cleanup never deletes a file that was already there.
    if (write) out.on('open', () => written.push(target));
    try {
      await inflateEntry(zipfile, p, out, lim, unpacked);
    } catch (e) {
      if (e instanceof LimitError) {
        add(e.problem);
        if (e.stopAll) break;
      } else if (write && (e as NodeJS.ErrnoException).syscall !== undefined) {
        // A file-system error (disk full, path exists): our side, not the zip's.
        add(problem(zipPointer(p.stored), `"${p.stored}" could not be written (${(e as Error).message})`, `「${p.stored}」を書き出せませんでした（${(e as Error).message}）`));
      } else {
        add(damaged(p.stored, (e as Error).message));
      }
    }
  }
  return written;
}

/** Where a file goes under root, or undefined when it would land outside it (checked through links when writing). */
async function targetOf(rel: string, root: string, realRoot: string, write: boolean): Promise<string | undefined> {
  const target = path.resolve(root, ...rel.split('/'));
  if (!target.startsWith(root + path.sep)) return undefined;
  if (write) {
    const parent = path.dirname(target);
    await mkdir(parent, { recursive: true });
    const realParent = await realpath(parent);
    if (realParent !== realRoot && !realParent.startsWith(realRoot + path.sep)) return undefined;
  }
  return target;
}

/**
 * Streams one entry into out, counting from the inflated bytes: the package's running
 * total, the entry's header size, the inflate ratio and the CRC-32. Fails with a LimitError.
 */
async function inflateEntry(zipfile: yauzl.ZipFile, p: Planned, out: Writable, lim: PackageLimits, unpacked: { total: number }): Promise<void> {
  const { entry } = p;
  let inBytes = 0;
  let outBytes = 0;
  // yauzl never verifies CRC-32 (its README says so); a damaged entry must not pass as a good file.
  let crc = 0;
  const countIn = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      inBytes += chunk.length;
      cb(null, chunk);
    },
  });
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      outBytes += chunk.length;
      unpacked.total += chunk.length;
      if (unpacked.total > lim.maxTotalBytes) return cb(new LimitError(tooBig(unpacked.total, lim.maxTotalBytes, true), true));
      if (outBytes > entry.uncompressedSize) return cb(new LimitError(damaged(p.stored, 'it holds more data than its header says')));
      if (outBytes > lim.ratioAfterBytes && outBytes / Math.max(inBytes, 1) > lim.maxRatio) {
        return cb(new LimitError(problem(zipPointer(p.stored), `"${p.stored}" expands more than ${lim.maxRatio}× (a "zip bomb"); a real template file does not compress that well`, `「${p.stored}」は${lim.maxRatio}倍を超えて展開されます（zip爆弾の疑い）。通常のテンプレートのファイルはここまで圧縮されません`)));
      }
      crc = zlib.crc32(chunk, crc);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (outBytes !== entry.uncompressedSize) return cb(new LimitError(damaged(p.stored, `it holds ${outBytes} bytes, its header says ${entry.uncompressedSize}`)));
      if (crc !== entry.crc32) return cb(new LimitError(damaged(p.stored, 'its checksum does not match')));
      cb();
    },
  });
  const raw = await openRaw(zipfile, entry);
  if (entry.compressionMethod === 8) await pipeline(raw, countIn, zlib.createInflateRaw(), check, out);
  else await pipeline(raw, countIn, check, out);
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}

function tooManyFiles(n: number, max: number): Problem {
  return problem(zipPointer(), `the package has ${n} files; the limit is ${max}`, `パッケージのファイル数が ${n} 個あります。上限は ${max} 個です`);
}

function tooBig(n: number, max: number, atLeast = false): Problem {
  const size = `${atLeast ? 'more than ' : ''}${mib(n)}`;
  return problem(zipPointer(), `the package's files add up to ${size} when unpacked; the limit is ${mib(max)}`, `展開後のファイルの合計が ${mib(n)}${atLeast ? ' を超えます' : ' あります'}。上限は ${mib(max)} です`);
}

function damaged(stored: string, why: string): Problem {
  return problem(zipPointer(stored), `"${stored}" is damaged in the zip (${why}); create the zip again`, `「${stored}」がzip内で壊れています（${why}）。zipを作り直してください`);
}

/** Two entries sharing compressed data is how the smallest zip bombs are built; honest zips never do it. */
function overlapping(entries: yauzl.Entry[]): boolean {
  const spans = entries.map((e) => [e.relativeOffsetOfLocalHeader, e.relativeOffsetOfLocalHeader + 30 + e.compressedSize] as const).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) if (spans[i]![0] < spans[i - 1]![1]) return true;
  return false;
}

/** `my-template/template.json` → `template.json` when every file sits under one folder. */
function stripTopFolder(planned: Array<{ rel: string }>): void {
  const first = planned[0]?.rel.split('/')[0];
  if (first === undefined || !planned.every((p) => p.rel.includes('/') && p.rel.split('/')[0] === first)) return;
  for (const p of planned) p.rel = p.rel.slice(first.length + 1);
}

async function removeWritten(root: string, written: string[]): Promise<void> {
  const folders = new Set<string>();
  for (const f of written) {
    await rm(f, { force: true });
    for (let d = path.dirname(f); d !== root && d.startsWith(root + path.sep); d = path.dirname(d)) folders.add(d);
  }
  // Deepest first; rmdir only removes folders we emptied, never anything that was there before.
  for (const d of [...folders].sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => undefined);
}

/**
 * The same checks for a folder upload (`kasane template push <dir>`): returns
 * the files to send ('/'-separated, relative to dir, names as on disk) or
 * problems. Symbolic links are reported, never followed.
 */
export async function listDirPackage(dir: string, limits?: Partial<PackageLimits>): Promise<{ files: string[]; problems: Problem[] }> {
  const lim = limitsOf(limits);
  const problems: Problem[] = [];
  const add = capped(problems);
  const root = path.resolve(dir);
  // The folder itself may be reached through a link the user chose; nothing inside it is followed.
  const rootStat = await stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) return { files: [], problems: [problem(filePointer(''), `${dir} is not a folder`, `${dir} はフォルダーではありません`)] };
  const files: string[] = [];
  const seen = new Map<string, string>();
  const dirKeys = new Set<string>();
  let total = 0;
  let counted = 0;
  let skipped = false;
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(root, rel))).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      if (isJunk(r)) continue;
      const at = filePointer(r);
      const st = await lstat(path.join(root, r));
      if (st.isSymbolicLink()) {
        add(problem(at, `"${r}" is a symbolic link; put the real file in the folder instead`, `「${r}」はシンボリックリンクです。実際のファイルを入れてください`));
        continue;
      }
      const bad = unsafeName(r);
      if (bad) {
        add(problem(at, `"${r}" ${bad.en}`, `「${r}」は${bad.ja}`));
        continue;
      }
      if (st.isDirectory()) {
        dirKeys.add(r.normalize('NFC').toLowerCase());
        // Stop descending once past the limit: a folder holding node_modules is not a template.
        if (counted <= lim.maxFiles) await walk(r);
        else skipped = true;
        continue;
      }
      if (!st.isFile()) {
        add(problem(at, `"${r}" is not a regular file`, `「${r}」は通常のファイルではありません`));
        continue;
      }
      counted++;
      const key = r.normalize('NFC').toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        add(problem(at, `"${r}" and "${first}" differ only in upper/lower case or Unicode normalization and would collide on the server; rename one`, `「${r}」と「${first}」は大文字・小文字などの違いしかなく、サーバー上で同じ名前になります。どちらかの名前を変えてください`));
        continue;
      }
      seen.set(key, r);
      total += st.size;
      files.push(r);
    }
  };
  await walk('');
  for (const f of files) {
    if (dirKeys.has(f.normalize('NFC').toLowerCase())) add(problem(filePointer(f), `"${f}" and a folder of the same name would collide on the server; rename one`, `「${f}」と同じ名前のフォルダーがあり、サーバー上で衝突します。どちらかの名前を変えてください`));
  }
  if (counted > lim.maxFiles) add(problem(filePointer(''), `the folder has ${skipped ? 'more than ' : ''}${counted} files; the limit is ${lim.maxFiles}`, `フォルダーのファイル数が ${counted}${skipped ? ' 個以上' : ' 個'}あります。上限は ${lim.maxFiles} 個です`));
  if (total > lim.maxTotalBytes) add(problem(filePointer(''), `the folder's files add up to ${mib(total)}; the limit is ${mib(lim.maxTotalBytes)}`, `フォルダー内のファイルの合計が ${mib(total)} あります。上限は ${mib(lim.maxTotalBytes)} です`));
  return problems.length ? { files: [], problems } : { files, problems: [] };
}
