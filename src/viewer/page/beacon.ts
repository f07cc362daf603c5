// Viewing events (docs/events.md, accepted by POST /v/<token>/events): sendBeacon survives
// leaving the page; failures never matter here.

export type ViewerEvent = 'video.started' | 'video.progress' | 'video.completed' | 'video.replayed' | 'cta.clicked';

/** The marks video.progress reports, in percent of the duration. */
export const PROGRESS_MARKS = [25, 50, 75] as const;

export function report(type: ViewerEvent, percent?: number): void {
  const body = JSON.stringify(percent ? { type, percent } : { type });
  try {
    // Relative to the page (/v/<token>/), not to this script.
    if ('sendBeacon' in navigator && navigator.sendBeacon('events', new Blob([body], { type: 'application/json' }))) return;
  } catch {
    // Fall through to fetch.
  }
  try {
    fetch('events', { method: 'POST', headers: { 'content-type': 'application/json' }, body, keepalive: true }).catch(() => {});
  } catch {
    // Nothing else to try.
  }
}
