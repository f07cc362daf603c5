// The prepared form of a template version: everything a worker or the
// playlist needs, written once at preparation and never changed.
import type { Manifest } from './manifest.ts';
import type { EncoderSettings, Rational } from '../video/encoder.ts';

export interface SegmentInfo {
  index: number;
  startFrame: number;
  frames: number;
  /** Seconds, exact: frames * fps.den / fps.num. */
  duration: number;
  /** First video PTS/DTS in the single-pass encode (90 kHz); personal segments keep them. */
  pts: number;
  dts: number;
  kind: 'static' | 'dynamic';
  /** Layer ids drawn in this segment (dynamic only). */
  layers: string[];
  /** Storage key of the single-pass segment (served as-is when static; splice source when dynamic). */
  key: string;
  /** Storage key of this segment's source frames, lossless H.264 (dynamic only; video/mezzanine.ts expands it). */
  mezzanine?: string;
}

export interface TemplatePlan {
  templateId: string;
  version: string;
  preparedAt: string;
  ffmpegVersion: string;
  manifest: Manifest;
  width: number;
  height: number;
  fps: Rational;
  frameCount: number;
  duration: number;
  encoder: EncoderSettings;
  targetDuration: number;
  segments: SegmentInfo[];
  /** audioTrack: the one audio stream used (0:a:0) of audioTracks; absent in plans prepared before it was recorded. */
  source: { width: number; height: number; rotation?: number; fps: number; duration: number; hasAudio: boolean; audioTracks?: number; audioTrack?: string; videoCodec: string };
}

export function versionPrefix(templateId: string, version: string): string {
  return `templates/${templateId}/${version}`;
}

export function planKey(templateId: string, version: string): string {
  return `${versionPrefix(templateId, version)}/plan.json`;
}

/** A layer's time window in frames (end exclusive), snapped to the frame grid. */
export function layerFrames(layer: { start: number; end: number }, fps: { num: number; den: number }, frameCount: number): { startFrame: number; endFrame: number } {
  return {
    startFrame: Math.min(frameCount, Math.round((layer.start * fps.num) / fps.den)),
    endFrame: Math.min(frameCount, Math.round((layer.end * fps.num) / fps.den)),
  };
}
