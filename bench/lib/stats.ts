// Percentiles and formatting for benchmark tables.
export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
export const median = (xs: number[]) => pct(xs, 50);
export const round = (x: number, d = 2) => +x.toFixed(d);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
