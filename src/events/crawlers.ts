// Who fetches a watch link without being a person: link-preview crawlers (LINE, Slack,
// X, Facebook, Discord, Teams…), search engines and HTTP libraries. Their GETs must not
// count as opens. A hand-kept list because `isbot` (the maintained one) is not installed
// here; swap it in when it is — the test's user agents say what must hold.
//
// Careful with LINE: its preview fetcher says "facebookexternalhit/1.1;line-poker/1.0",
// but a person tapping the link in LINE opens the page in LINE's in-app browser, whose
// user agent carries "Line/13.x.x" — that one is a viewer and must count.

const CRAWLER = new RegExp(
  [
    // Link previews in chat apps and social networks.
    'facebookexternalhit', 'facebot', 'facebookcatalog', 'meta-externalagent', 'line-poker',
    'slackbot', 'slack-imgproxy', 'twitterbot', 'discordbot', 'telegrambot', 'whatsapp/',
    'skypeuripreview', 'microsoftpreview', 'teams/[0-9.]+ \\(preview', 'linkedinbot', 'pinterest',
    'redditbot', 'embedly', 'iframely', 'vkshare', 'kakaotalk-scrap', 'mastodon/', 'bluesky',
    'applebot', 'snapchat', 'viber.*(?:bot|preview)', 'zalo.*(?:bot|preview)',
    // Search and site tools.
    'googlebot', 'google-inspectiontool', 'google-pagerenderer', 'googleother', 'google-read-aloud',
    'apis-google', 'adsbot-google', 'mediapartners-google', 'feedfetcher-google', 'storebot-google',
    'bingbot', 'bingpreview', 'adidxbot', 'yahoo! slurp', 'duckduckbot', 'yandex', 'baiduspider',
    'bytespider', 'petalbot', 'ahrefs', 'semrush', 'headlesschrome', 'lighthouse', 'chrome-lighthouse',
    // HTTP libraries and tools: no person behind them.
    '^curl/', '^wget/', 'python-requests', 'python-urllib', 'aiohttp', 'go-http-client', 'okhttp',
    'axios/', 'node-fetch', '^undici', '^node$', 'java/', 'libwww-perl', 'httpclient',
    // Whatever else names itself one ("CUBOT" is a phone brand, not a bot).
    '(?<!cu)bot\\b', 'crawler', 'spider', 'scraper', 'preview',
  ].join('|'),
  'i',
);

/** True when this user agent is not a person's browser; a missing one counts as a crawler. */
export function isCrawler(userAgent: string | undefined): boolean {
  return !userAgent || CRAWLER.test(userAgent);
}
