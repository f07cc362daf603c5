// The watch page's script (bundled by src/viewer/watch-script.ts, served at
// /player/watch.<hash>.js, run deferred once the page is parsed). The poster is painted
// before it runs; the page's per-render options come in its JSON data island.
import { WATCH_CONFIG_ID, type WatchConfig } from './contract.ts';
import { wireControls } from './controls.ts';
import { byId } from './dom.ts';
import { once } from './once.ts';
import { compositeOf, loadPlayback } from './playback.ts';

const config = JSON.parse(byId(WATCH_CONFIG_ID, HTMLScriptElement).textContent ?? '') as WatchConfig;
const v = byId('v', HTMLVideoElement);
const stage = v.parentElement ?? document.body;
const composite = compositeOf(config);

wireControls(v, config, once((then) => loadPlayback(v, stage, composite, then)));
