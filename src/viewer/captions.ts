// A WebVTT captions track for one person: each text layer's filled-in text for
// the time it is on screen, so the name and amount reach sound-off viewers and
// screen readers. Items layers contribute their product names, charts their title.
import type { TemplatePlan } from '../templates/plan.ts';
import { resolveInputs } from '../render/personalize.ts';

/** 75.5 → '00:01:15.500' */
function stamp(sec: number): string {
  const ms = Math.max(0, Math.round(sec * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** Cue text is not markup to us: escape what WebVTT would read as tags or entities, and never end a cue early. */
function cueText(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/-->/g, '--&gt;')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

/** What a layer says in words; SVG and image layers say nothing we can read out. */
function layerText(type: string, input: unknown): string {
  const o = (input ?? {}) as { items?: Array<{ name?: unknown }>; title?: unknown };
  if (type === 'text' && typeof input === 'string') return input;
  if (type === 'items' && Array.isArray(o.items)) return o.items.map((i) => (typeof i.name === 'string' ? i.name : '')).filter(Boolean).join('、');
  if (type === 'chart' && typeof o.title === 'string') return o.title;
  return '';
}

export function captionsVtt(plan: TemplatePlan, data: Record<string, unknown>): string {
  const inputs = resolveInputs(plan, data);
  const cues = plan.manifest.layers
    .map((l) => ({ start: l.start, end: l.end, text: cueText(layerText(l.type, inputs[l.id])) }))
    .filter((c) => c.text)
    .sort((a, b) => a.start - b.start);
  return ['WEBVTT', '', ...cues.map((c) => `${stamp(c.start)} --> ${stamp(c.end)}\n${c.text}\n`)].join('\n');
}
