// Japanese first, English on a switch. Both texts are written side by side where
// they are used (L('…', '…')), so no screen can lack a language.
export type Lang = 'ja' | 'en';
const STORE = 'kasane.console.lang';
let lang: Lang = (localStorage.getItem(STORE) as Lang | null) ?? 'ja';
const listeners = new Set<() => void>();

export const currentLang = (): Lang => lang;
export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem(STORE, l);
  document.documentElement.lang = l;
  listeners.forEach((f) => f());
}
export function onLang(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
export const L = (ja: string, en: string): string => (lang === 'ja' ? ja : en);

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
export function formatBytes(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}
export const seconds = (s: number): string => `${Number(s.toFixed(2))} ${L('秒', 's')}`;
