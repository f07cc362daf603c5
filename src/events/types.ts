// The events Kasane sends back to a customer's tool, and their payloads. A payload
// names the render and its external_id, never the personal data it was drawn from.
import type { RenderMeta } from '../render/records.ts';

export const RENDER_EVENTS = ['render.ready', 'render.failed'] as const;
export const VIEWER_EVENTS = ['video.started', 'video.progress', 'video.completed', 'cta.clicked', 'video.replayed'] as const;
export const EVENT_TYPES = [...RENDER_EVENTS, ...VIEWER_EVENTS] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type ViewerEventType = (typeof VIEWER_EVENTS)[number];

/** The progress marks a viewer's page reports (percent of the video watched). */
export const PROGRESS_MARKS = [25, 50, 75] as const;

export interface EventPayload {
  type: EventType;
  /** ISO 8601, when the event happened. */
  timestamp: string;
  data: {
    render_id: string;
    template: string;
    external_id: string | null;
    connector?: string;
    watch_url: string;
    /** render.failed: why (our own message, no data values). */
    error?: string;
    /** video.progress: 25, 50 or 75. */
    percent?: number;
  };
}

export function eventPayload(type: EventType, meta: RenderMeta, publicUrl: string, extra: { error?: string; percent?: number } = {}): EventPayload {
  return {
    type,
    timestamp: new Date().toISOString(),
    data: {
      render_id: meta.id,
      template: meta.templateId,
      external_id: meta.externalId ?? null,
      ...(meta.connector ? { connector: meta.connector } : {}),
      watch_url: `${publicUrl}/v/${meta.token}/`,
      ...extra,
    },
  };
}
