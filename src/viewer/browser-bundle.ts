// Browser code served by this process (the watch page's script, the operator console):
// TypeScript sources under src/ bundled by esbuild in memory, named by a hash of their
// content so they can be cached for a year. The sources stay .ts/.tsx under src/ (also
// in the Docker image): esbuild reads them at run time, once per process.
import { createHash } from 'node:crypto';
import { build } from 'esbuild';

export const SCRIPT_TYPE = 'text/javascript; charset=utf-8';
export const STYLE_TYPE = 'text/css; charset=utf-8';

export interface BrowserBundle {
  js: Buffer;
  /** The CSS the entry imports, when it imports any. */
  css: Buffer | null;
}

export interface BundleOptions {
  /** 'esm' for `<script type="module">`, 'iife' for a classic (deferred) script. */
  format: 'esm' | 'iife';
  /** esbuild targets, e.g. ['es2017', 'safari12'] for a page opened on old phones. */
  target: string[];
  /** Preact's automatic JSX runtime for .tsx entries. */
  jsxImportSource?: string;
}

export async function bundleBrowserEntry(entry: string, o: BundleOptions): Promise<BrowserBundle> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    outdir: 'out',
    format: o.format,
    target: o.target,
    minify: true,
    ...(o.jsxImportSource ? { jsx: 'automatic' as const, jsxImportSource: o.jsxImportSource } : {}),
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = out.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = out.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js) throw new Error(`bundling ${entry} produced no script`);
  return { js: Buffer.from(js.contents), css: css ? Buffer.from(css.contents) : null };
}

/** 12 hex digits of the body's SHA-256: a new name whenever the bytes change. */
export function contentHash(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 12);
}

/** Made on first use (a bundle takes ≈ 100 ms), then kept; a failure is retried on the next call. */
export function madeOnce<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => {
    made ??= make().catch((e: unknown) => {
      made = null;
      throw e;
    });
    return made;
  };
}
