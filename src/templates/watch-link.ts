// The watch page's call-to-action link: the template's Handlebars label and URL
// filled in with one person's data, the URL tagged with UTM parameters so the
// landing page's analytics can tell this video and this render apart.
import { renderText } from '../overlays/handlebars.ts';
import type { Manifest } from './manifest.ts';

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

export interface CtaLink {
  label: string;
  href: string;
  /** Seconds into the video when the button appears; undefined: only at the end. */
  at?: number;
}

/**
 * The CTA for one person, or null when the template has none or the filled-in URL is
 * not http(s) (a version stored before that was checked, or data the check did not foresee):
 * the page then shows no button rather than a broken or javascript: link.
 */
export function ctaLink(m: Manifest, data: Record<string, unknown>, ids: { templateId: string; renderId: string }): CtaLink | null {
  const cta = m.watch?.cta;
  if (!cta) return null;
  const label = renderText(cta.label, data, m.locale).trim();
  const raw = renderText(cta.url, data, m.locale).trim();
  if (!label || !isHttpUrl(raw)) return null;
  const url = new URL(raw);
  const utm: Record<string, string> = { utm_source: 'kasane', utm_medium: 'video', utm_campaign: ids.templateId, utm_content: ids.renderId };
  for (const [k, v] of Object.entries(utm)) if (!url.searchParams.has(k)) url.searchParams.append(k, v);
  return { label, href: url.href, ...(cta.at !== undefined ? { at: cta.at } : {}) };
}
