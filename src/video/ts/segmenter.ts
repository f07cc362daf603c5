// Cuts one continuous MPEG-TS encode into HLS segments at given video frames.
// ffmpeg's own segment muxers either restart continuity counters per file or
// cannot cut at exact frame numbers; cutting the single-pass stream ourselves
// keeps every counter and timestamp exactly as the encoder wrote them.
import { collectPes, findStreams, parsePackets, PAT_PID, type TsPacket } from './packets.ts';

export interface CutSegment {
  /** Index of the first video frame (decode order == PES order) in the segment. */
  startFrame: number;
  frames: number;
  /** First video access unit's timestamps (90 kHz), as the encoder wrote them. */
  firstPts: number;
  firstDts: number;
  bytes: Buffer;
}

/**
 * @param boundaries frame numbers (in presentation order) where segments start; must include 0.
 */
export function cutSegments(ts: Buffer, boundaries: number[]): CutSegment[] {
  const packets = parsePackets(ts);
  const streams = findStreams(packets);
  const video = collectPes(packets, streams.videoPid);
  if (video.length === 0) throw new Error('encode has no video');
  // Boundary frame f is the f-th frame in presentation order.
  const ptsSorted = video.map((v) => v.pts!).sort((a, b) => a - b);
  const cutAt: number[] = []; // packet index where each segment starts
  for (const f of boundaries) {
    const want = ptsSorted[f];
    if (want === undefined) throw new Error(`boundary frame ${f} is past the end (${video.length} frames)`);
    const pes = video.find((v) => v.pts === want)!;
    if (!pes.randomAccess && f !== 0) throw new Error(`frame ${f} is not a keyframe; the encode ignored a forced keyframe`);
    cutAt.push(f === 0 ? 0 : pes.packets[0]!);
  }
  const pat = packets.find((p) => p.pid === PAT_PID && p.pusi)!;
  const pmt = packets.find((p) => p.pid === streams.pmtPid && p.pusi)!;
  const psiCc = new Map<number, number>([
    [PAT_PID, 0],
    [streams.pmtPid, 0],
  ]);
  const segments: CutSegment[] = [];
  for (let s = 0; s < cutAt.length; s++) {
    const from = cutAt[s]!;
    const to = s + 1 < cutAt.length ? cutAt[s + 1]! : packets.length;
    const out: Buffer[] = [];
    const slice = packets.slice(from, to);
    // Every segment must open with PAT and PMT so a player can start anywhere.
    const opensWithPsi = slice[0]?.pid === PAT_PID;
    const emit = (p: TsPacket) => {
      const cc = psiCc.get(p.pid);
      if (cc === undefined) return out.push(p.raw);
      const copy = Buffer.from(p.raw);
      copy[3] = (copy[3]! & 0xf0) | cc;
      psiCc.set(p.pid, (cc + 1) & 0xf);
      out.push(copy);
    };
    if (!opensWithPsi) {
      emit(pat);
      emit(pmt);
    }
    for (const p of slice) emit(p);
    const startFrame = boundaries[s]!;
    const endFrame = s + 1 < boundaries.length ? boundaries[s + 1]! : video.length;
    const head = video.find((v) => v.packets[0]! >= from)!;
    segments.push({ startFrame, frames: endFrame - startFrame, firstPts: head.pts!, firstDts: head.dts!, bytes: Buffer.concat(out) });
  }
  return segments;
}
