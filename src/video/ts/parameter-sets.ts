// The H.264 parameter sets (SPS, PPS) a TS carries. A personal segment must carry
// exactly the template's: players that build one decoder configuration from the
// first segment (MSE, fMP4 init segments) would otherwise decode it with the wrong one.
import { collectPes, findStreams, parsePackets } from './packets.ts';

export interface ParameterSets {
  /** Each distinct SPS / PPS NAL unit (header byte included, start code excluded), hex, in order of appearance. */
  sps: string[];
  pps: string[];
}

const SPS = 7;
const PPS = 8;

/** Splits an Annex-B elementary stream into NAL units (without start codes or trailing zero bytes). */
export function nalUnits(es: Buffer): Buffer[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < es.length; i++) {
    if (es[i] === 0 && es[i + 1] === 0 && es[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((s, k) => {
    let end = k + 1 < starts.length ? starts[k + 1]! - 3 : es.length;
    while (end > s && es[end - 1] === 0) end--; // the next start code's leading zero, trailing_zero_bytes
    return es.subarray(s, end);
  });
}

export function parameterSets(ts: Buffer): ParameterSets {
  const packets = parsePackets(ts);
  const out: ParameterSets = { sps: [], pps: [] };
  for (const pes of collectPes(packets, findStreams(packets).videoPid)) {
    for (const nal of nalUnits(pes.data)) {
      const type = nal[0]! & 0x1f;
      const list = type === SPS ? out.sps : type === PPS ? out.pps : null;
      const hex = nal.toString('hex');
      if (list && !list.includes(hex)) list.push(hex);
    }
  }
  return out;
}

/** Why `candidate`'s parameter sets differ from `template`'s, or null when they are byte-identical. */
export function parameterSetMismatch(template: Buffer, candidate: Buffer): string | null {
  const a = parameterSets(template);
  const b = parameterSets(candidate);
  if (!a.sps.length || !a.pps.length) return 'the template segment carries no SPS/PPS';
  if (a.sps.join() !== b.sps.join()) return `SPS differs (template ${a.sps.join(',')}, personal ${b.sps.join(',') || 'none'})`;
  if (a.pps.join() !== b.pps.join()) return `PPS differs (template ${a.pps.join(',')}, personal ${b.pps.join(',') || 'none'})`;
  return null;
}
