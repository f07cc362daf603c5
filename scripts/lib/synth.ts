// The calm audio bed of the sample videos: a soft additive pad with bass, a
// plucked arpeggio and bells with a ping-pong echo on scene changes, mixed to
// stereo and normalized. Everything is computed sample by sample in float64
// from a Score, so equal scores give byte-identical PCM (s16le, interleaved).
import { clamp01, smooth, TAU } from './anim.ts';

export const midiHz = (m: number): number => 440 * Math.pow(2, (m - 69) / 12);

/** A stereo float mix being built. */
export interface Bus {
  L: Float64Array;
  R: Float64Array;
  sr: number;
}

export function createBus(sr: number, duration: number): Bus {
  const n = sr * duration;
  return { L: new Float64Array(n), R: new Float64Array(n), sr };
}

/**
 * Adds a sum of sine partials between t0 and t1 (s), shaped by env(t) (t in
 * seconds of the whole piece), equal-power panned, slightly detuned between
 * the channels for width.
 */
export function addTone(
  bus: Bus,
  t0: number,
  t1: number,
  env: (t: number) => number,
  partials: [number, number][],
  pan: number, // -1..1
  detune: number, // relative, applied as ± between channels
): void {
  const { L, R, sr } = bus;
  const i0 = Math.max(0, Math.floor(t0 * sr));
  const i1 = Math.min(L.length, Math.ceil(t1 * sr));
  const gl = Math.cos(((pan + 1) * Math.PI) / 4);
  const gr = Math.sin(((pan + 1) * Math.PI) / 4);
  const wl = partials.map(([f]) => (TAU * f * (1 - detune)) / sr);
  const wr = partials.map(([f]) => (TAU * f * (1 + detune)) / sr);
  const amps = partials.map(([, a]) => a);
  for (let i = i0; i < i1; i++) {
    const e = env(i / sr);
    if (e === 0) continue;
    let sl = 0;
    let sr_ = 0;
    for (let k = 0; k < amps.length; k++) {
      const a = amps[k] ?? 0;
      sl += a * Math.sin((wl[k] ?? 0) * i);
      sr_ += a * Math.sin((wr[k] ?? 0) * i + 0.7 * k);
    }
    L[i] = (L[i] ?? 0) + e * gl * sl;
    R[i] = (R[i] ?? 0) + e * gr * sr_;
  }
}

export interface Chord {
  t0: number;
  t1: number;
  pad: number[]; // MIDI notes
  bass: number; // MIDI note
}

export interface Score {
  sr: number;
  duration: number; // s; the PCM has exactly sr*duration frames
  /** Pad + bass, one chord after another; each (but the first) swells in 0.25 s early. */
  chords: Chord[];
  padAttack?: number; // s, default 1.3
  padRelease?: number; // s, default 1.8
  /** Plucked quarter notes over the current chord, an octave above the pad. */
  arpeggio?: {
    start: number; // s, first note
    step: number; // s between notes
    count: number;
    pattern: number[]; // indexes into the chord's pad notes
    fadeIn: number; // s, velocity ramp after start
    end: number; // s, velocity reaches 0 here…
    fadeOut: number; // …after ramping down over this long
  };
  /** A bell (with ping-pong echoes, by default 4, 0.375 s apart, each 0.38× the last) at each time, notes[i] for times[i]. */
  bells?: { times: number[]; notes: number[]; echoes?: number; echoDelay?: number; feedback?: number };
  /** Extra voices added to the mix before mastering. */
  extra?: (bus: Bus) => void;
  /** Default: 0.4 s fade in, 2.5 s fade out to the end, −12 dBFS peak. */
  master?: { fadeIn: number; fadeOutStart: number; fadeOutLength: number; peakDb: number };
}

export function synthesize(score: Score): Buffer {
  const bus = createBus(score.sr, score.duration);
  addPad(bus, score);
  if (score.arpeggio) addArpeggio(bus, score.chords, score.arpeggio);
  if (score.bells) addBells(bus, score.bells);
  score.extra?.(bus);
  return master(bus, score.master ?? { fadeIn: 0.4, fadeOutStart: score.duration - 2.5, fadeOutLength: 2.5, peakDb: -12 });
}

/** Pad chords and bass; each chord but the first swells in 0.25 s early, the last holds to the end. */
function addPad(bus: Bus, score: Score): void {
  const { chords, padAttack: ATTACK = 1.3, padRelease: RELEASE = 1.8 } = score;
  for (const [ci, ch] of chords.entries()) {
    const last = ci === chords.length - 1;
    const start = ch.t0 === 0 ? 0 : ch.t0 - 0.25;
    const end = last ? score.duration : ch.t1;
    const env = (t: number): number => {
      const att = smooth((t - start) / ATTACK);
      const rel = t <= end ? 1 : 0.5 + 0.5 * Math.cos(Math.PI * clamp01((t - end) / RELEASE));
      return att * rel * (1 + 0.08 * Math.sin(TAU * 0.23 * t + ci));
    };
    ch.pad.forEach((m, k) => {
      const f = midiHz(m);
      const pan = ((k / Math.max(1, ch.pad.length - 1)) * 2 - 1) * 0.6;
      const partials: [number, number][] = [
        [f, 0.11],
        [f * 2, 0.03],
        [f * 3, 0.011],
        [f * 0.5, 0.02],
      ];
      addTone(bus, start, end + RELEASE, env, partials, pan, 0.0014);
    });
    const fb = midiHz(ch.bass);
    addTone(bus, start, end + RELEASE, env, [[fb, 0.2], [fb * 2, 0.05]], 0, 0.0006);
  }
}

function addArpeggio(bus: Bus, chords: Chord[], arp: NonNullable<Score['arpeggio']>): void {
  for (let n = 0; n < arp.count; n++) {
    const t0 = arp.start + n * arp.step;
    const ch = chords.find((c) => t0 >= c.t0 && t0 < c.t1) ?? chords[0];
    if (!ch) continue;
    const pattern = arp.pattern;
    const idx = (pattern[n % pattern.length] ?? 0) % ch.pad.length;
    const f = midiHz((ch.pad[idx] ?? 62) + 12);
    const vel = n % 4 === 0 ? 1 : 0.7;
    const fade = smooth((t0 - arp.start) / arp.fadeIn) * smooth((arp.end - t0) / arp.fadeOut);
    const env = (t: number): number => {
      const x = t - t0;
      if (x < 0) return 0;
      return vel * fade * Math.min(1, x / 0.006) * Math.exp(-x / 0.45);
    };
    addTone(bus, t0, t0 + 2.5, env, [[f, 0.05], [f * 2, 0.012], [f * 3, 0.004]], n % 2 === 0 ? -0.4 : 0.4, 0.001);
  }
}

function addBells(bus: Bus, bells: NonNullable<Score['bells']>): void {
  const { echoes = 4, echoDelay = 0.375, feedback = 0.38 } = bells;
  bells.times.forEach((sc, i) => {
    const f = midiHz(bells.notes[i] ?? 81);
    for (let echo = 0; echo < echoes; echo++) {
      const t0 = sc - 0.05 + echo * echoDelay;
      const g = Math.pow(feedback, echo);
      const env = (t: number): number => {
        const x = t - t0;
        if (x < 0) return 0;
        return g * Math.min(1, x / 0.004) * Math.exp(-x / 1.1);
      };
      const partials: [number, number][] = [
        [f, 0.09],
        [f * 2.0, 0.03],
        [f * 2.76, 0.018],
        [f * 5.4, 0.006],
      ];
      addTone(bus, t0, t0 + 5, env, partials, echo % 2 === 0 ? -0.3 : 0.3, 0.0005);
    }
  });
}

/** Master fade in/out, normalize to the peak level, quantize to s16le stereo. */
function master(bus: Bus, m: NonNullable<Score['master']>): Buffer {
  const { L, R, sr: SR } = bus;
  const SAMPLES = L.length;
  const { fadeIn, fadeOutStart, fadeOutLength, peakDb } = m;
  let peak = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const t = i / SR;
    const k = smooth(t / fadeIn) * (t < fadeOutStart ? 1 : 0.5 + 0.5 * Math.cos((Math.PI * (t - fadeOutStart)) / fadeOutLength));
    const l = (L[i] ?? 0) * k;
    const r = (R[i] ?? 0) * k;
    L[i] = l;
    R[i] = r;
    peak = Math.max(peak, Math.abs(l), Math.abs(r));
  }
  const target = Math.pow(10, peakDb / 20);
  const gain = peak > 0 ? target / peak : 0;
  const pcm = Buffer.alloc(SAMPLES * 4);
  for (let i = 0; i < SAMPLES; i++) {
    pcm.writeInt16LE(Math.round((L[i] ?? 0) * gain * 32767), i * 4);
    pcm.writeInt16LE(Math.round((R[i] ?? 0) * gain * 32767), i * 4 + 2);
  }
  return pcm;
}
