// The watch page a person opens from an email, LINE or a chat: the poster paints
// before any script runs, a tap plays (muted autoplay where the browser allows,
// with a visible "sound on"), captions come from the person's own overlay text,
// and a call-to-action button appears at the template's time and at the end.
// Everything is served from this origin: no third-party request, hls.js only
// where the browser lacks native HLS, and without JavaScript the poster links to the MP4.
// When this person's personal segments are not ready yet (`ready: false`), the page
// plays the template rendition and composites their overlays itself on a canvas,
// frame-exact on the video's own clock (README "How the watch page chooses…").
// This module only writes the HTML; the behaviour is typed browser code in page/
// (bundled by watch-script.ts), given this render's options in a JSON data island.
import { WATCH_CONFIG_ID, type CompositePlan, type WatchConfig } from './page/contract.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface WatchPageOptions {
  /** Plain text (crawlers read it): page title and og:title. */
  title: string;
  description?: string;
  /** Absolute URL of this page, e.g. https://v.example.jp/v/<token>/ (og:url, og:image). */
  pageUrl: string;
  width: number;
  height: number;
  /** 'ja' (default) or another language tag; built-in labels are Japanese unless it starts with 'en'. */
  lang?: string;
  /**
   * This person's first personalized segment is stored (default true). When false, the page
   * composites the overlays itself over base.m3u8 instead of waiting on the encoder.
   */
  ready?: boolean;
  /**
   * With ready false: the composite plan (overlays.json's body). It goes into the data island
   * and its layer images are preloaded from the head, so they are on their way while the page
   * parses and its script loads (no serial round trips before the first frame).
   */
  composite?: CompositePlan;
  /** Filled in for this person, UTM parameters added. */
  cta?: { label: string; href: string; at?: number } | null;
  /** URL of the page's script (watch-script.ts): /player/watch.<hash>.js. */
  script: string;
}

type Labels = (typeof LABELS)['ja'];

const LABELS = {
  ja: { play: '再生', unmute: '音声オン', replay: 'もう一度見る', video: '動画', captions: '日本語字幕', nojs: '動画を再生する（MP4）', stuck: '動画を読み込めませんでした。', reload: '再読み込み' },
  en: { play: 'Play', unmute: 'Sound on', replay: 'Watch again', video: 'Video', captions: 'Captions', nojs: 'Play the video (MP4)', stuck: 'The video could not be loaded.', reload: 'Reload' },
};

/** Paints the poster and the controls without any script; html.js (set inline, before paint) shows the player. */
const STYLE = `*{box-sizing:border-box}
html,body{margin:0;height:100%;background:#000;color:#fff;font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif}
main{position:relative;display:flex;align-items:center;justify-content:center;width:100vw;height:100vh;height:100dvh;overflow:hidden}
.stage{position:relative;width:100%;height:100%}
video,.nojs img{display:block;width:100%;height:100%;object-fit:contain;background:#000}
.nojs{display:block;width:100%;height:100%}
html:not(.js) video,html:not(.js) .ui{display:none}
[hidden]{display:none!important}
button,.cta{font:inherit;cursor:pointer;border:0;border-radius:999px;text-decoration:none}
button:focus-visible,.cta:focus-visible{outline:3px solid #ffd400;outline-offset:3px}
.play{position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);width:88px;height:88px;background:rgba(0,0,0,.72);color:#fff;border:3px solid #fff;font-size:0}
.play::before{content:"";display:block;margin-left:32px;border-style:solid;border-width:18px 0 18px 30px;border-color:transparent transparent transparent #fff}
.unmute{position:absolute;left:12px;top:12px;padding:10px 16px;background:rgba(0,0,0,.78);color:#fff;font-size:16px;font-weight:700;border:2px solid #fff}
.end{position:absolute;left:0;right:0;bottom:calc(72px + env(safe-area-inset-bottom));display:flex;flex-wrap:wrap;gap:12px;justify-content:center;padding:0 12px;pointer-events:none}
.end>*{pointer-events:auto}
.replay{padding:12px 20px;background:rgba(0,0,0,.78);color:#fff;font-size:16px;font-weight:700;border:2px solid #fff}
.stuck{position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);width:max-content;max-width:calc(100% - 24px);padding:16px 20px;background:rgba(0,0,0,.78);border-radius:16px;text-align:center}
.stuck p{margin:0 0 12px;font-size:16px;font-weight:700}
.overlays{position:absolute;pointer-events:none}
.cta{display:inline-block;max-width:100%;padding:14px 28px;background:#ffd400;color:#111;font-size:18px;font-weight:700;text-align:center;box-shadow:0 2px 10px rgba(0,0,0,.4)}
`;

/**
 * JSON for a script to read, inside the HTML: `<` escaped, so no string in it can end the
 * element (`</script>`) or open a comment; JSON.parse reads \u003c back as `<`.
 */
export function jsonIsland(id: string, value: unknown): string {
  return `<script type="application/json" id="${esc(id)}">${JSON.stringify(value).replace(/</g, '\\u003c')}</script>`;
}

export function playerPage(o: WatchPageOptions): string {
  const lang = o.lang || 'ja';
  const t = lang.toLowerCase().startsWith('en') ? LABELS.en : LABELS.ja;
  const ready = o.ready !== false;
  const composite = ready ? undefined : o.composite;
  const config: WatchConfig = { ready, ctaAt: o.cta?.at ?? null, ...(composite ? { composite } : {}) };
  return `<!doctype html>
<html lang="${esc(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
${linkCard(o)}<script>document.documentElement.className = 'js';</script>
${composite ? preloads(composite) : ''}<script defer src="${esc(o.script)}"></script>
<style>
${STYLE}</style>
</head><body><main><div class="stage">
${stage(o, lang, t)}
</div></main>
${jsonIsland(WATCH_CONFIG_ID, config)}
</body></html>`;
}

/**
 * The composite's layer images, asked for at once and first (the page waits on them
 * before playing; the server is already drawing them). As `as="image"` without
 * crossorigin, they are the very requests the script's `new Image()` makes.
 */
function preloads(p: CompositePlan): string {
  return p.layers.map((l) => `<link rel="preload" as="image" fetchpriority="high" href="${esc(l.image)}">\n`).join('');
}

/** Title, description and the tags link previews (LINE, Slack, X, Facebook) read. */
function linkCard(o: WatchPageOptions): string {
  const og = `${o.pageUrl}og.jpg`;
  const desc = o.description ? esc(o.description) : '';
  return `<title>${esc(o.title)}</title>
${desc ? `<meta name="description" content="${desc}">\n` : ''}<meta property="og:type" content="video.other">
<meta property="og:title" content="${esc(o.title)}">
${desc ? `<meta property="og:description" content="${desc}">\n` : ''}<meta property="og:url" content="${esc(o.pageUrl)}">
<meta property="og:image" content="${esc(og)}">
<meta property="og:image:width" content="1200">
<meta property="og:image:height" content="630">
<meta property="og:video" content="${esc(o.pageUrl)}video.mp4">
<meta property="og:video:type" content="video/mp4">
<meta property="og:video:width" content="${o.width}">
<meta property="og:video:height" content="${o.height}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="${esc(o.title)}">
${desc ? `<meta name="twitter:description" content="${desc}">\n` : ''}<meta name="twitter:image" content="${esc(og)}">
`;
}

/** The video with its captions, the composite's canvas, the no-JS link and the controls. */
function stage(o: WatchPageOptions, lang: string, t: Labels): string {
  const cta = o.cta;
  return `<video id="v" poster="poster.jpg" playsinline muted preload="none" aria-label="${esc(o.title)}"><track kind="captions" srclang="${esc(lang)}" label="${esc(t.captions)}" src="captions.vtt" default></video>
<canvas id="overlays" class="overlays" aria-hidden="true" hidden></canvas>
<noscript><a class="nojs" href="video.mp4"><img src="poster.jpg" alt="${esc(t.nojs)}: ${esc(o.title)}"></a></noscript>
<button id="play" class="ui play" type="button" aria-label="${esc(t.play)}">${esc(t.play)}</button>
<button id="unmute" class="ui unmute" type="button" hidden>🔊 ${esc(t.unmute)}</button>
<div id="stuck" class="ui stuck" role="alert" hidden><p>${esc(t.stuck)}</p><button id="reload" class="replay" type="button">↻ ${esc(t.reload)}</button></div>
<div class="ui end"><button id="replay" class="replay" type="button" hidden>↻ ${esc(t.replay)}</button>${
    cta ? `<a id="cta" class="cta" href="${esc(cta.href)}" data-kasane-cta hidden>${esc(cta.label)}</a>` : ''
  }</div>`;
}
