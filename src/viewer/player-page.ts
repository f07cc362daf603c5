// The watch page a person opens from an email, LINE or a chat: the poster paints
// before any script runs, a tap plays (muted autoplay where the browser allows,
// with a visible "sound on"), captions come from the person's own overlay text,
// and a call-to-action button appears at the template's time and at the end.
// Everything is served from this origin: no third-party request, hls.js only
// where the browser lacks native HLS, and without JavaScript the poster links to the MP4.
// When this person's personal segments are not ready yet (`ready: false`), the page
// plays the template rendition and composites their overlays itself on a canvas,
// frame-exact on the video's own clock (README "How the watch page chooses…").

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
   * composites the overlays itself over base.m3u8 (overlays.json) instead of waiting on the encoder.
   */
  ready?: boolean;
  /** Filled in for this person, UTM parameters added. */
  cta?: { label: string; href: string; at?: number } | null;
}

const LABELS = {
  ja: { play: '再生', unmute: '音声オン', replay: 'もう一度見る', video: '動画', captions: '日本語字幕', nojs: '動画を再生する（MP4）' },
  en: { play: 'Play', unmute: 'Sound on', replay: 'Watch again', video: 'Video', captions: 'Captions', nojs: 'Play the video (MP4)' },
};

export function playerPage(o: WatchPageOptions): string {
  const lang = o.lang || 'ja';
  const t = lang.toLowerCase().startsWith('en') ? LABELS.en : LABELS.ja;
  const og = `${o.pageUrl}og.jpg`;
  const desc = o.description ? esc(o.description) : '';
  const cta = o.cta;
  return `<!doctype html>
<html lang="${esc(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<title>${esc(o.title)}</title>
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
<script>document.documentElement.className = 'js';</script>
<style>
*{box-sizing:border-box}
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
.overlays{position:absolute;pointer-events:none}
.cta{display:inline-block;max-width:100%;padding:14px 28px;background:#ffd400;color:#111;font-size:18px;font-weight:700;text-align:center;box-shadow:0 2px 10px rgba(0,0,0,.4)}
</style>
</head><body><main><div class="stage">
<video id="v" poster="poster.jpg" playsinline muted preload="none" aria-label="${esc(o.title)}"><track kind="captions" srclang="${esc(lang)}" label="${esc(t.captions)}" src="captions.vtt" default></video>
<canvas id="overlays" class="overlays" aria-hidden="true" hidden></canvas>
<noscript><a class="nojs" href="video.mp4"><img src="poster.jpg" alt="${esc(t.nojs)}: ${esc(o.title)}"></a></noscript>
<button id="play" class="ui play" type="button" aria-label="${esc(t.play)}">${esc(t.play)}</button>
<button id="unmute" class="ui unmute" type="button" hidden>🔊 ${esc(t.unmute)}</button>
<div class="ui end"><button id="replay" class="replay" type="button" hidden>↻ ${esc(t.replay)}</button>${
    cta ? `<a id="cta" class="cta" href="${esc(cta.href)}" data-kasane-cta data-at="${cta.at ?? ''}" hidden>${esc(cta.label)}</a>` : ''
  }</div>
</div></main>
<script>
(function () {
  var v = document.getElementById('v');
  var play = document.getElementById('play'), unmute = document.getElementById('unmute'), replay = document.getElementById('replay'), cta = document.getElementById('cta');
  var stage = v.parentNode, src = 'index.m3u8', attach = once(load);
  // iPhone/iPad fullscreen is the system player, which shows no canvas: the stitched stream there.
  var ios = /iP(hone|od|ad)/.test(navigator.userAgent) || (/Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1);
  var composite = ${o.ready === false ? 'true' : 'false'} && !ios && !!window.fetch && !!window.Promise;
  // Viewing events (docs/events.md): sendBeacon survives leaving the page; failures never matter here.
  function report(type, percent) {
    var body = JSON.stringify(percent ? { type: type, percent: percent } : { type: type });
    try { if (navigator.sendBeacon && navigator.sendBeacon('events', new Blob([body], { type: 'application/json' }))) return; } catch (e) {}
    try { fetch('events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body, keepalive: true }).catch(function () {}); } catch (e) {}
  }
  // Runs fn once; every caller (autoplay, a tap) continues when it is done.
  function once(fn) {
    var state = null;
    return function (then) {
      if (state === true) return then();
      if (state) return state.push(then);
      state = [then];
      fn(function () { var w = state; state = true; w.forEach(function (f) { f(); }); });
    };
  }
  function load(then) {
    v.preload = 'auto';
    if (!composite) return attachSource(src, then);
    // The browser composite: overlays.json, every layer image decoded, the template rendition
    // playable; only then play, so nothing pops in late and playback starts without a wait.
    fetch('overlays.json').then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); }).then(function (p) {
      return Promise.all(p.layers.map(function (l) {
        var img = new Image();
        img.src = l.image;
        return (img.decode ? img.decode() : new Promise(function (ok, no) { img.onload = ok; img.onerror = no; })).then(function () { l.img = asEncoded(img); });
      })).then(function () { return p; });
    }).then(function (p) {
      startComposite(p);
      attachSource(p.base, function () {
        if (v.readyState >= 3) return then();
        v.addEventListener('canplay', function go() { v.removeEventListener('canplay', go); then(); });
      });
    }, function () { composite = false; attachSource(src, then); });
  }
  // The server turns overlay RGB into video with BT.601 (ffmpeg's default) and the stream is
  // untagged, which browsers show as BT.709: the stitched stream's overlay colours are shifted
  // by that round trip. The same shift here, once per image, so both composites look alike.
  function asEncoded(img) {
    var c = document.createElement('canvas'), g = c.getContext('2d');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    g.drawImage(img, 0, 0);
    var d = g.getImageData(0, 0, c.width, c.height), px = d.data;
    for (var i = 0; i < px.length; i += 4) {
      if (!px[i + 3]) continue;
      var r = px[i] / 255, gr = px[i + 1] / 255, b = px[i + 2] / 255;
      var y = 0.299 * r + 0.587 * gr + 0.114 * b, pb = (b - y) / 1.772, pr = (r - y) / 1.402;
      px[i] = 255 * (y + 1.5748 * pr); px[i + 1] = 255 * (y - 0.1873 * pb - 0.4681 * pr); px[i + 2] = 255 * (y + 1.8556 * pb);
    }
    g.putImageData(d, 0, 0);
    return c;
  }
  function attachSource(url, then) {
    stage.setAttribute('data-playlist', url);
    if (v.canPlayType('application/vnd.apple.mpegurl')) { v.src = url; return then(); }
    // hls.js from this service, only for browsers without native HLS.
    var s = document.createElement('script');
    s.src = '/player/hls.min.js';
    s.onload = function () {
      if (window.Hls && Hls.isSupported()) { var h = new Hls({ maxBufferLength: 30 }); h.loadSource(url); h.attachMedia(v); }
      else v.src = url;
      then();
    };
    s.onerror = function () { v.src = url; then(); };
    document.head.appendChild(s);
  }
  // Draws frame f's overlays as the server's compositor would (src/viewer/composite.ts).
  function startComposite(p) {
    var canvas = document.getElementById('overlays'), g = canvas.getContext('2d'), rate = p.fps.num / p.fps.den, shown = -1;
    canvas.hidden = false;
    stage.setAttribute('data-composite', '');
    function fit() {
      // The video's picture inside its element (object-fit: contain): the canvas covers exactly that.
      var r = v.getBoundingClientRect(), s = Math.min(r.width / p.width, r.height / p.height), w = p.width * s, h = p.height * s, dpr = window.devicePixelRatio || 1;
      canvas.style.left = (r.width - w) / 2 + 'px'; canvas.style.top = (r.height - h) / 2 + 'px';
      canvas.style.width = w + 'px'; canvas.style.height = h + 'px';
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
      shown = -1; draw(frameOf(v.currentTime, false));
    }
    // Where frame 0 sits on the media timeline: players put the stream's earliest sample at 0,
    // and with audio first (hls.js) the video starts a few frames later. The earliest frame
    // presented says where; until then the buffered start, which is not before it.
    var origin = null;
    function start0() {
      if (origin === null && v.buffered.length) origin = v.buffered.start(0);
      return origin || 0;
    }
    function frameOf(t, exact) {
      var n = (t - start0()) * rate;
      return Math.max(0, Math.min(p.frameCount - 1, exact ? Math.round(n) : Math.floor(n + 1e-6)));
    }
    function shift(edge, off, pos) {
      if (edge === 'left') pos.x -= off; if (edge === 'right') pos.x += off;
      if (edge === 'top') pos.y -= off; if (edge === 'bottom') pos.y += off;
    }
    function draw(f) {
      if (f === shown) return;
      shown = f;
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.clearRect(0, 0, canvas.width, canvas.height);
      g.setTransform(canvas.width / p.width, 0, 0, canvas.height / p.height, 0, 0);
      p.layers.forEach(function (l) {
        if (f < l.startFrame || f >= l.endFrame) return;
        var since = (f - l.startFrame) / rate, until = (l.endFrame - f) / rate, a = 1, pos = { x: l.x, y: l.y };
        // Alpha ramps as ffmpeg's fade filter: 0 on the first frame, 1/rate/d on the last.
        if (l.fade.in && f < l.fade.inUntilFrame) a = Math.min(a, since / l.fade.in);
        // The fade-out starts d seconds before the end, but never before its segment's start (ffmpeg's st=max(0, …)).
        if (l.fade.out && f >= l.fade.outFromFrame) a = Math.min(a, 1 - ((f - l.fade.outFromFrame) / rate - Math.max(0, (l.endFrame - l.fade.outFromFrame) / rate - l.fade.out)) / l.fade.out);
        var si = l.slide && l.slide.in, so = l.slide && l.slide.out;
        if (si && si.duration > 0) shift(si.from, (si.distance == null ? 80 : si.distance) * Math.max(0, 1 - since / si.duration), pos);
        if (so && so.duration > 0) shift(so.to, (so.distance == null ? 80 : so.distance) * Math.max(0, 1 - until / so.duration), pos);
        if (a <= 0) return;
        g.globalAlpha = Math.min(1, a);
        // ffmpeg's overlay filter truncates positions to whole, even pixels on 4:2:0 video.
        g.drawImage(l.img, Math.trunc(pos.x) & ~1, Math.trunc(pos.y) & ~1);
      });
      g.globalAlpha = 1;
      canvas.setAttribute('data-frame', String(f));
    }
    // The video's own clock: each presented frame's media time where the browser says it.
    if (v.requestVideoFrameCallback) {
      var onFrame = function (now, m) {
        if (origin === null || m.mediaTime < origin) { origin = m.mediaTime; shown = -1; }
        draw(frameOf(m.mediaTime, true));
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    } else {
      var tick = function () { draw(frameOf(v.currentTime, false)); requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    }
    v.addEventListener('seeked', function () { draw(frameOf(v.currentTime, false)); });
    window.addEventListener('resize', fit);
    v.addEventListener('loadedmetadata', fit);
    // Fullscreen of the video element alone would leave the canvas behind: the stage goes fullscreen instead.
    document.addEventListener('fullscreenchange', function () {
      if (document.fullscreenElement === v && stage.requestFullscreen) document.exitFullscreen().then(function () { return stage.requestFullscreen(); }).catch(function () {});
    });
    fit();
  }
  function start(withSound) {
    if (withSound) v.muted = false;
    attach(function () {
      var p = v.play();
      if (p && p.catch) p.catch(function () { play.hidden = false; });
    });
  }
  play.addEventListener('click', function () { play.hidden = true; start(true); });
  unmute.addEventListener('click', function () { v.muted = false; unmute.hidden = true; if (v.paused) v.play().catch(function () {}); });
  replay.addEventListener('click', function () { replay.hidden = true; marks = {}; report('video.replayed'); v.currentTime = 0; v.play().catch(function () {}); });
  var marks = {}, started = false;
  v.addEventListener('playing', function () {
    play.hidden = true; replay.hidden = true; v.controls = true;
    unmute.hidden = !v.muted;
    if (!started) { started = true; report('video.started'); }
  });
  v.addEventListener('volumechange', function () { if (!v.muted) unmute.hidden = true; });
  v.addEventListener('timeupdate', function () {
    if (cta && cta.hidden && cta.dataset.at !== '' && v.currentTime >= Number(cta.dataset.at)) cta.hidden = false;
    if (!(v.duration > 0)) return;
    [25, 50, 75].forEach(function (m) { if (v.currentTime / v.duration * 100 >= m && !marks[m]) { marks[m] = 1; report('video.progress', m); } });
  });
  v.addEventListener('ended', function () { report('video.completed'); replay.hidden = false; unmute.hidden = true; if (cta) cta.hidden = false; });
  // The CTA is a plain link: the beacon goes out, then the browser follows it.
  document.addEventListener('click', function (e) { if (e.target.closest && e.target.closest('[data-kasane-cta]')) report('cta.clicked'); });
  // Muted autoplay where the browser allows it; otherwise the big play button waits for a tap.
  start(false);
})();
</script></body></html>`;
}
