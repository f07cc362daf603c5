// A minimal mobile player: native HLS where the browser has it (iOS Safari),
// hls.js elsewhere. Served at the link we hand out, so a tap plays at once.

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function playerPage(opts: { title: string; width: number; height: number }): string {
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="robots" content="noindex">
<title>${esc(opts.title)}</title>
<style>html,body{margin:0;height:100%;background:#000}main{display:flex;align-items:center;justify-content:center;height:100%}
video{width:100%;max-height:100%;aspect-ratio:${opts.width}/${opts.height};background:#000}</style>
</head><body><main><video id="v" controls playsinline autoplay muted preload="auto"></video></main>
<script src="/player/hls.min.js"></script>
<script>
const v = document.getElementById('v');
const src = 'index.m3u8';
if (v.canPlayType('application/vnd.apple.mpegurl')) { v.src = src; }
else if (window.Hls && Hls.isSupported()) { const h = new Hls({ maxBufferLength: 30 }); h.loadSource(src); h.attachMedia(v); }
v.play().catch(() => {});
// Viewing events for the customer's webhooks (docs/events.md); the server counts each once.
const report = (type, percent) => fetch('events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(percent ? { type, percent } : { type }), keepalive: true }).catch(() => {});
const marks = new Set();
v.addEventListener('playing', () => { if (!marks.has(0)) { marks.add(0); report('video.started'); } });
v.addEventListener('timeupdate', () => {
  if (!(v.duration > 0)) return;
  for (const m of [25, 50, 75]) if (v.currentTime / v.duration * 100 >= m && !marks.has(m)) { marks.add(m); report('video.progress', m); }
});
v.addEventListener('ended', () => report('video.completed'));
// A call-to-action link added to the page reports its tap.
document.addEventListener('click', (e) => { if (e.target.closest && e.target.closest('[data-kasane-cta]')) report('cta.clicked'); });
</script></body></html>`;
}
