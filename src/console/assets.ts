// The operator console's browser files, made once per process in memory: the
// Preact client bundled by esbuild (viewer/browser-bundle.ts: content-hashed names,
// so they can be cached for a year), its CSS with the Japanese web font's @font-face
// rules, and the font files themselves from @fontsource/noto-sans-jp — the page asks
// no other origin.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/index.ts';
import { bundleBrowserEntry, contentHash, madeOnce, SCRIPT_TYPE, STYLE_TYPE } from '../viewer/browser-bundle.ts';

const require = createRequire(import.meta.url);
/** Sources stay .tsx under src/ (also in the Docker image): esbuild reads them at run time. */
const CLIENT_DIR = path.join(PROJECT_ROOT, 'src', 'console', 'client');
const FONT_DIR = path.join(path.dirname(require.resolve('@fontsource/noto-sans-jp/package.json')), 'files');
/** Only these names are served from FONT_DIR: no path from a URL reaches the file system otherwise. */
export const FONT_FILE = /^noto-sans-jp-[0-9]{1,3}-(400|700)-normal\.woff2$/;
export const URL_PREFIX = '/console';

export interface ConsoleAssets {
  /** `/console/app-<hash>.js` → body; the same for the CSS. */
  files: Map<string, { body: Buffer; type: string }>;
  script: string;
  style: string;
}

/** Bundled on the first request (≈ 100 ms), then kept; a failed bundle is retried next time. */
export const consoleAssets = madeOnce(makeAssets);

async function makeAssets(): Promise<ConsoleAssets> {
  const { js, css } = await bundleBrowserEntry(path.join(CLIENT_DIR, 'main.tsx'), { format: 'esm', target: ['es2022'], jsxImportSource: 'preact' });
  const style = Buffer.concat([Buffer.from(await fontFaces()), css ?? Buffer.alloc(0)]);
  const files = new Map<string, { body: Buffer; type: string }>();
  const script = `${URL_PREFIX}/app-${contentHash(js)}.js`;
  const styleUrl = `${URL_PREFIX}/app-${contentHash(style)}.css`;
  files.set(script, { body: js, type: SCRIPT_TYPE });
  files.set(styleUrl, { body: style, type: STYLE_TYPE });
  return { files, script, style: styleUrl };
}

/** @fontsource's rules for weights 400 and 700, pointed at our font route, woff2 only (every current browser). */
async function fontFaces(): Promise<string> {
  const dir = path.dirname(FONT_DIR);
  const rules = await Promise.all(['400.css', '700.css'].map((f) => readFile(path.join(dir, f), 'utf8')));
  return rules
    .join('\n')
    .replace(/url\(\.\/files\/([^)]+\.woff2)\) format\('woff2'\), url\([^)]+\) format\('woff'\)/g, `url(${URL_PREFIX}/fonts/$1) format('woff2')`);
}

export async function fontFile(name: string): Promise<Buffer | null> {
  if (!FONT_FILE.test(name)) return null;
  return readFile(path.join(FONT_DIR, name)).catch(() => null);
}

/** The one HTML page; the client draws every screen (hash routes). */
export function consolePage(a: ConsoleAssets): string {
  return `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Kasane コンソール</title>
<link rel="stylesheet" href="${a.style}">
<script type="module" src="${a.script}"></script>
</head>
<body>
<div id="app"><noscript>このコンソールには JavaScript が必要です / The console needs JavaScript.</noscript></div>
</body>
</html>
`;
}
