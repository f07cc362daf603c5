// Splices re-encoded video into a template segment so that the result is
// indistinguishable from the single-pass encode: every non-video packet
// (PAT, PMT, SDT, audio) is kept byte for byte, each video access unit keeps
// the template's PTS/DTS and PCR, and continuity counters start and end
// exactly where the neighbouring static segments expect them.
// Hand-written on purpose: the TS libraries we could keep (mux.js, hls.js) demux or
// transmux into new containers, and an ffmpeg remux re-times the stream; none rewrites
// video packets in place while leaving every other byte as it was.
import {
  TS_PACKET_SIZE,
  SYNC_BYTE,
  buildVideoPesHeader,
  collectPes,
  findStreams,
  parsePackets,
  parsePesHeader,
  payloadOf,
  tsDelta,
  writePcr,
  type Pes,
  type TsPacket,
} from './packets.ts';

export class SpliceError extends Error {}

export function spliceSegment(template: Buffer, replacement: Buffer): Buffer {
  const tPackets = parsePackets(template);
  const tStreams = findStreams(tPackets);
  const vpid = tStreams.videoPid;
  const tPes = collectPes(tPackets, vpid);
  const rPackets = parsePackets(replacement);
  const rPes = collectPes(rPackets, findStreams(rPackets).videoPid);
  checkTiming(tPes, rPes);

  const firstVideo = tPackets.find((p) => p.pid === vpid && p.hasPayload);
  if (!firstVideo || !firstVideo.pusi) throw new SpliceError('template segment does not start with a whole video PES');
  const videoPayloadPackets = tPackets.filter((p) => p.pid === vpid && p.hasPayload).length;

  // Packetize the new access units first, so that the last one can absorb the
  // padding that makes the counters line up.
  const pesStartAt = new Map<number, number>();
  tPes.forEach((pes, k) => pesStartAt.set(pes.packets[0]!, k));
  const chunks: Buffer[][] = tPes.map((pes, k) => {
    const first = tPackets[pes.packets[0]!]!;
    const header = buildVideoPesHeader(pes.pts!, pes.dts, streamIdOf(first));
    return packetize(Buffer.concat([header, rPes[k]!.data]), vpid, first.pcr, first.randomAccess, 0);
  });
  const produced = chunks.reduce((n, c) => n + c.length, 0);
  const extra = (((videoPayloadPackets - produced) % 16) + 16) % 16;
  if (extra > 0) {
    const k = tPes.length - 1;
    const first = tPackets[tPes[k]!.packets[0]!]!;
    const header = buildVideoPesHeader(tPes[k]!.pts!, tPes[k]!.dts, streamIdOf(first));
    chunks[k] = packetize(Buffer.concat([header, rPes[k]!.data]), vpid, first.pcr, first.randomAccess, extra);
  }

  const out: Buffer[] = [];
  let cc = firstVideo.cc;
  let lastCc = (cc + 15) & 0xf;
  const emitVideo = (pkt: Buffer, hasPayload: boolean) => {
    if (hasPayload) {
      lastCc = cc;
      cc = (cc + 1) & 0xf;
    }
    pkt[3] = (pkt[3]! & 0xf0) | lastCc;
    out.push(pkt);
  };
  for (const p of tPackets) {
    if (p.pid !== vpid) {
      out.push(p.raw);
      continue;
    }
    const k = pesStartAt.get(p.index);
    if (k !== undefined) {
      for (const pkt of chunks[k]!) emitVideo(pkt, true);
    } else if (!p.hasPayload) {
      // Adaptation-only packets (PCR carriers) keep their place; their counter repeats the last one.
      emitVideo(Buffer.from(p.raw), false);
    }
    // Other video packets belonged to a template access unit that was replaced.
  }
  const lastTemplateCc = lastPayloadCc(tPackets, vpid);
  if (lastCc !== lastTemplateCc) {
    throw new SpliceError(`continuity counter ends at ${lastCc}, template ends at ${lastTemplateCc}`);
  }
  return Buffer.concat(out);
}

function streamIdOf(p: TsPacket): number {
  return parsePesHeader(payloadOf(p)).streamId;
}

function lastPayloadCc(packets: TsPacket[], pid: number): number {
  for (let i = packets.length - 1; i >= 0; i--) {
    const p = packets[i]!;
    if (p.pid === pid && p.hasPayload) return p.cc;
  }
  return -1;
}

/**
 * The re-encode must show the same frames in the same order as the template
 * segment: the same number of access units, each displayed and decoded at the
 * same frame slot. Ticks may differ by rounding: a frame lasts 3753.75 ticks at
 * 23.976 fps (1501.5 at 59.94), and the personal encode, whose clock starts at 0,
 * rounds differently from the single-pass encode at the segment's true position.
 * The splice writes the template's own PTS/DTS, so only the slot matters; a
 * different frame-type pattern (other encoder settings) is off by whole frames.
 * Differences are taken modulo 2^33 so a template across the wrap compares too.
 */
function checkTiming(t: Pes[], r: Pes[]): void {
  if (t.length !== r.length) throw new SpliceError(`re-encode has ${r.length} frames, template segment has ${t.length}`);
  if (t.length === 0) throw new SpliceError('template segment has no video');
  const t0 = t[0]!.dts!;
  const r0 = r[0]!.dts!;
  const half = frameTicks(t) / 2;
  for (let k = 0; k < t.length; k++) {
    const tp = tsDelta(t0, t[k]!.pts!);
    const td = tsDelta(t0, t[k]!.dts!);
    const rp = tsDelta(r0, r[k]!.pts!);
    const rd = tsDelta(r0, r[k]!.dts!);
    if (!(Math.abs(tp - rp) < half && Math.abs(td - rd) < half)) {
      throw new SpliceError(`frame ${k}: re-encode timing (pts ${rp}, dts ${rd}) differs from template (pts ${tp}, dts ${td}) by more than half a frame`);
    }
  }
}

/** One frame's duration in ticks: the smallest DTS step of the template (1/60 s if it has one frame). */
function frameTicks(t: Pes[]): number {
  let min = Infinity;
  for (let k = 1; k < t.length; k++) {
    const d = tsDelta(t[k - 1]!.dts!, t[k]!.dts!);
    if (d > 0 && d < min) min = d;
  }
  return Number.isFinite(min) ? min : 90000 / 60;
}

/**
 * Cuts one PES into TS packets. `extra` adds that many packets beyond the
 * minimum (each still carrying at least one payload byte, the rest stuffing),
 * which is how the continuity counter is made to land on the template's value.
 */
export function packetize(pes: Buffer, pid: number, pcr: bigint | undefined, randomAccess: boolean, extra: number): Buffer[] {
  const firstAf = pcr !== undefined ? 8 : randomAccess ? 2 : 0;
  const firstCap = TS_PACKET_SIZE - 4 - firstAf;
  const natural = pes.length <= firstCap ? 1 : 1 + Math.ceil((pes.length - firstCap) / (TS_PACKET_SIZE - 4));
  const count = natural + extra;
  if (pes.length < count) throw new SpliceError('access unit too small to pad');
  const packets: Buffer[] = [];
  let off = 0;
  for (let i = 0; i < count; i++) {
    const first = i === 0;
    const cap = first ? firstCap : TS_PACKET_SIZE - 4;
    const size = Math.min(cap, pes.length - off - (count - 1 - i));
    const pkt = Buffer.alloc(TS_PACKET_SIZE, 0xff);
    pkt[0] = SYNC_BYTE;
    pkt[1] = (first ? 0x40 : 0) | ((pid >> 8) & 0x1f);
    pkt[2] = pid & 0xff;
    // Adaptation field: PCR / random access on the first packet, stuffing wherever the payload is short.
    const afTotal = TS_PACKET_SIZE - 4 - size; // bytes for the whole adaptation field incl. its length byte
    if (afTotal > 0) {
      pkt[3] = 0x30;
      pkt[4] = afTotal - 1;
      if (afTotal >= 2) {
        let flags = 0;
        if (first && randomAccess) flags |= 0x40;
        if (first && pcr !== undefined) {
          flags |= 0x10;
          writePcr(pkt, 6, pcr);
        }
        pkt[5] = flags;
      }
    } else {
      pkt[3] = 0x10;
    }
    pes.copy(pkt, 4 + afTotal, off, off + size);
    off += size;
    packets.push(pkt);
  }
  return packets;
}
