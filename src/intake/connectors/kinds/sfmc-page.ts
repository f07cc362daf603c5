// What Journey Builder shows for the Kasane activity: a static page (no
// scripts, no third-party requests; everything is configured on the Kasane
// connector and in its config.json) and the activity's icon.
import type { Connector } from '../types.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function activityPage(c: Connector): string {
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>Kasane</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px/1.5 system-ui,sans-serif;margin:16px;color:#222}dt{font-weight:600}</style></head>
<body><h1>Kasane 動画</h1>
<dl><dt>Connector</dt><dd>${esc(c.name)} (${esc(c.id)})</dd><dt>Template</dt><dd>${esc(c.template)}</dd></dl>
<p>この設定は Kasane のコネクタで管理されています。「完了」を押してください。<br>
This activity is configured on the Kasane connector; nothing to set here.</p>
</body></html>
`;
}

export const ICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" rx="6" fill="#1d4ed8"/><path d="M14 11v18l15-9z" fill="#fff"/></svg>';
