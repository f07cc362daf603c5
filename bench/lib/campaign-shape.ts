// The shape of one campaign send, shared by the replay against real workers
// (bench/campaign.ts) and the capacity model (bench/capacity.ts), so both plan with
// the same curve: sends spread evenly over `sendMinutes`; each contact opens with
// probability `openRate`, most after their own send (decaying exponentially, mean
// `decayHours`), the rest in a burst after the LINE message at `lineAtHours` (mean
// `lineMinutes`). Opens past `hours` are dropped (they would come later, at a trickle).
import { prng } from '../../test/support/prng.ts';

export interface CampaignShape {
  seed: number;
  sendMinutes: number;
  openRate: number;
  decayHours: number;
  lineAtHours: number;
  lineShare: number;
  lineMinutes: number;
  hours: number;
}

export interface Contact {
  n: number;
  /** Campaign seconds. */
  sendAt: number;
  /** Campaign seconds, if they open within the window. */
  openAt?: number;
}

/** The shape's options as the bench scripts take them (`--send-minutes`, `--open-rate`, …). */
export function shapeFromOptions(opt: Record<string, string | boolean | undefined>): CampaignShape {
  const n = (k: string) => Number(opt[k]);
  return { seed: n('seed'), sendMinutes: n('send-minutes'), openRate: n('open-rate'), decayHours: n('decay-hours'), lineAtHours: n('line-at-hours'), lineShare: n('line-share'), lineMinutes: n('line-minutes'), hours: n('hours') };
}

/** `sends` contacts, the same for the same shape (seeded). */
export function campaignContacts(shape: CampaignShape, sends: number): Contact[] {
  const r = prng(shape.seed);
  const exp = (mean: number) => -Math.log(1 - r()) * mean;
  const out: Contact[] = [];
  for (let n = 0; n < sends; n++) {
    const sendAt = (n / sends) * shape.sendMinutes * 60;
    const c: Contact = { n, sendAt };
    if (r() < shape.openRate) {
      const line = r() < shape.lineShare;
      const at = line ? Math.max(sendAt, shape.lineAtHours * 3600) + exp(shape.lineMinutes * 60) : sendAt + exp(shape.decayHours * 3600);
      if (at < shape.hours * 3600) c.openAt = at;
    }
    out.push(c);
  }
  return out;
}

/** The most of `times` (seconds) that fall within any `windowS` seconds. */
export function densestWindow(times: number[], windowS: number): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i]! - s[j]! > windowS) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
