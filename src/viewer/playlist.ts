// The VOD playlist exists as soon as a render is accepted: every segment's
// duration is known from the prepared plan. Byte-identical on every request.
import type { TemplatePlan } from '../templates/plan.ts';

/** A folder of segments side by side (the CLI's output): every URI relative. */
export function segmentUri(index: number): string {
  return `${index}.ts`;
}

/**
 * What a viewer's playlist (at /v/<token>/index.m3u8) points at. Shared (static) segments
 * are addressed by template version at /s/<template>/<version>/<n>.ts: the same bytes for
 * everyone, so a CDN can cache them by path, and a cache key can never mix two templates.
 * Personal segments stay relative, under the viewer's token. With a segment base URL
 * (docs/storage.md) shared segments are absolute URLs on it instead.
 */
export function viewerSegmentUri(plan: TemplatePlan, segmentBaseUrl?: string): (index: number) => string {
  return (index) => {
    const seg = plan.segments[index];
    if (seg?.kind !== 'static') return `${index}.ts`;
    // KASANE_SEGMENT_BASE_URL: a public bucket or CDN in front of storage serves the
    // object itself (base + storage key), so shared bytes never pass through the API.
    return segmentBaseUrl ? `${segmentBaseUrl}/${seg.key}` : staticSegmentPath(plan.templateId, plan.version, index);
  };
}

export function staticSegmentPath(templateId: string, version: string, index: number): string {
  return `/s/${templateId}/${version}/${index}.ts`;
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
