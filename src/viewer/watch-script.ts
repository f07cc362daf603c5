// The watch page's script (src/viewer/page/, typed browser code) bundled in memory once
// per process, at a content-hashed URL cached for a year: a returning viewer's page needs
// no request for it, and a new deploy's page names a new file.
import path from 'node:path';
import { PROJECT_ROOT } from '../config/index.ts';
import { bundleBrowserEntry, contentHash, madeOnce } from './browser-bundle.ts';

const ENTRY = path.join(PROJECT_ROOT, 'src', 'viewer', 'page', 'watch.ts');
/** The file name under /player/: watch.<12 hex>.js. */
export const WATCH_SCRIPT_FILE = /^watch\.[0-9a-f]{12}\.js$/;

export interface WatchScript {
  /** /player/watch.<hash>.js */
  url: string;
  body: Buffer;
}

export const watchScript = madeOnce(async (): Promise<WatchScript> => {
  // A classic script (deferred), for the phones' browsers a link is opened in, old ones included.
  const { js } = await bundleBrowserEntry(ENTRY, { format: 'iife', target: ['es2017'] });
  return { url: `/player/watch.${contentHash(js)}.js`, body: js };
});
