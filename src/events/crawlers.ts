// Who fetches a watch link without being a person: link-preview crawlers (LINE, Slack,
// X, Facebook, Discord, Teams…), search engines and HTTP libraries. Their GETs must not
// count as opens. `isbot` keeps that list (LINE's preview fetcher says
// "facebookexternalhit/1.1;line-poker/1.0" and is a bot; LINE's in-app browser, with
// "Line/14.x" in its user agent, is a person and counts — test/views.test.ts holds both).
import { isbot } from 'isbot';

/** True when this user agent is not a person's browser; a missing one counts as a crawler. */
export function isCrawler(userAgent: string | undefined): boolean {
  return !userAgent || isbot(userAgent);
}
