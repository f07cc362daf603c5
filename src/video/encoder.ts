// The one place encoder arguments are built. Template preparation and every
// personalized segment use exactly these, so a re-encoded segment gets the
// same SPS/PPS, frame types and timestamps as the single-pass encode.
import { outputColourArgs } from './colour.ts';

/** x264/AAC settings of a template version (template.json `encoder`, with defaults). */
export interface EncoderSettings {
  /** x264 preset; every segment of a version is encoded with the same one. */
  preset: string;
  crf: number;
  maxrateKbps: number;
  bufsizeKbps: number;
  profile: 'high' | 'main' | 'baseline';
  bframes: number;
  audioBitrateKbps: number;
}

export interface Rational {
  num: number;
  den: number;
}

export function fpsValue(r: Rational): number {
  return r.num / r.den;
}

/** 29.97 and 23.976 style rates as exact rationals. */
export function toRational(fps: number): Rational {
  for (const base of [24, 30, 48, 60]) {
    if (Math.abs(fps - (base * 1000) / 1001) < 0.01) return { num: base * 1000, den: 1001 };
  }
  return { num: Math.round(fps), den: 1 };
}

export function videoEncoderArgs(s: EncoderSettings, fps: Rational): string[] {
  // Keyframes come only where we force them (segment starts, overlay edges);
  // fixed B-frame placement (b_strategy 0) and no scene-cut keyframes keep the
  // frame-type pattern a function of position alone.
  const gop = Math.ceil(fpsValue(fps) * 10);
  return [
    '-c:v', 'libx264',
    '-preset', s.preset,
    '-crf', String(s.crf),
    '-maxrate', `${s.maxrateKbps}k`,
    '-bufsize', `${s.bufsizeKbps}k`,
    '-profile:v', s.profile,
    '-pix_fmt', 'yuv420p',
    '-bf', String(s.profile === 'baseline' ? 0 : s.bframes),
    '-b_strategy', '0',
    '-sc_threshold', '0',
    '-g', String(gop),
    '-keyint_min', String(1),
    '-flags', '+cgop',
    ...outputColourArgs(),
  ];
}

/**
 * x264 choices for personal segments that cost less CPU and never reach the SPS/PPS:
 * motion search, subpel refinement and partition choices live in slice data. The
 * lookahead and mb-tree stay: without them x264 spends ~2× the bits at the same CRF,
 * which costs more than they save. Per template preset, since what is header-neutral
 * depends on it: a subme below 6 switches psy-rd off, which changes the PPS chroma QP
 * offset for presets from `fast` up. Presets not listed encode personal segments
 * exactly like the template. Measured in bench/encode.ts (bench/README.md, "Issue 13");
 * the prepare self-check refuses a version whose personal encode carries other headers.
 */
const PERSONAL_X264: Partial<Record<string, string>> = {
  veryfast: 'me=dia:subme=1:partitions=i8x8,i4x4',
  faster: 'me=dia:subme=1:partitions=i8x8,i4x4',
};

/** The `-x264-params` a personal encode adds to a template preset, or null when it adds none. */
export function personalX264Params(preset: string): string | null {
  return PERSONAL_X264[preset] ?? null;
}

/** Encoder arguments of a personalized segment: the template's, plus the header-neutral cheaper choices. */
export function personalVideoEncoderArgs(s: EncoderSettings, fps: Rational): string[] {
  const extra = personalX264Params(s.preset);
  return [...videoEncoderArgs(s, fps), ...(extra ? ['-x264-params', extra] : [])];
}

export function audioEncoderArgs(s: EncoderSettings): string[] {
  return ['-c:a', 'aac', '-b:a', `${s.audioBitrateKbps}k`, '-ar', '48000', '-ac', '2'];
}

/**
 * MPEG-TS muxer options for the single-pass encode. ffmpeg's defaults gather audio
 * frames into one PES until it holds 2930 bytes or spans the 0.7 s mux delay (a silent
 * AAC frame is a few bytes, so 0.7 s), and the segmenter puts a PES whole into the
 * segment being cut when it is written: a short segment got no sound, its audio
 * arriving in the next one. A minimal PES payload and a mux delay under one AAC frame
 * (21.3 ms at 48 kHz) give one PES per frame, written in decode-time order with the
 * video, so each segment carries its own span's sound. The delay also sets ffmpeg's
 * timestamp offset (twice it) and the PCR's lead on decode time; nothing downstream
 * assumes a particular offset (the splice copies the template's own timestamps).
 */
export function tsMuxArgs(): string[] {
  return ['-muxdelay', '0.02', '-pes_payload_size', '0'];
}

/** ffmpeg input arguments for a file of raw yuv420p frames at a template's size and rate. */
export function rawInputArgs(v: { width: number; height: number; fps: Rational }, file: string): string[] {
  return ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${v.width}x${v.height}`, '-framerate', `${v.fps.num}/${v.fps.den}`, '-i', file];
}

/** An expression that forces a keyframe on exactly these frame numbers. */
export function forceKeyframesExpr(frames: number[]): string {
  return 'expr:' + frames.map((f) => `eq(n,${f})`).join('+');
}
