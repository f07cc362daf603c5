// The VOD playlist exists as soon as a render is accepted: every segment's
// duration is known from the prepared plan. Byte-identical on every request.
import type { TemplatePlan } from '../templates/plan.ts';

export function segmentUri(index: number): string {
  return `${index}.ts`;
}

export function mediaPlaylist(plan: TemplatePlan, uri: (index: number) => string = segmentUri): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${plan.targetDuration}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
  ];
  for (const s of plan.segments) {
    lines.push(`#EXTINF:${s.duration.toFixed(6)},`, uri(s.index));
  }
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}
