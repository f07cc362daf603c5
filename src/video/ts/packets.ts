// MPEG-TS packet and PES parsing: just enough of ISO 13818-1 to splice
// re-encoded video into a template segment without a decoder noticing.

export const TS_PACKET_SIZE = 188;
export const SYNC_BYTE = 0x47;
export const PAT_PID = 0;
export const NULL_PID = 0x1fff;

/** PTS/DTS are 33-bit counters of a 90 kHz clock: they wrap every 2^33 ticks (26.5 hours). */
export const TS_WRAP = 2 ** 33;

/** b − a in 90 kHz ticks across a 2^33 wrap: the signed difference nearest to zero. */
export function tsDelta(a: number, b: number): number {
  let d = (b - a) % TS_WRAP;
  if (d >= TS_WRAP / 2) d -= TS_WRAP;
  else if (d < -TS_WRAP / 2) d += TS_WRAP;
  return d;
}

export interface TsPacket {
  /** Index of the packet inside its buffer. */
  index: number;
  pid: number;
  /** payload_unit_start_indicator: a PES or section starts here. */
  pusi: boolean;
  cc: number;
  hasAdaptation: boolean;
  hasPayload: boolean;
  randomAccess: boolean;
  /** PCR in 27 MHz units when present. */
  pcr?: bigint;
  payloadStart: number;
  /** The whole 188-byte packet (a view into the source buffer). */
  raw: Buffer;
}

export class TsFormatError extends Error {}

export function parsePackets(buf: Buffer): TsPacket[] {
  if (buf.length % TS_PACKET_SIZE !== 0) {
    throw new TsFormatError(`TS length ${buf.length} is not a multiple of ${TS_PACKET_SIZE}`);
  }
  const out: TsPacket[] = [];
  for (let off = 0, i = 0; off < buf.length; off += TS_PACKET_SIZE, i++) out.push(parsePacket(buf.subarray(off, off + TS_PACKET_SIZE), i));
  return out;
}

/** PID of a raw 188-byte packet, read without building a TsPacket. */
export function pidOf(raw: Buffer): number {
  return ((raw[1]! & 0x1f) << 8) | raw[2]!;
}

/** One raw 188-byte packet; `index` is its position in whatever the caller is reading. */
export function parsePacket(raw: Buffer, index: number): TsPacket {
  if (raw[0] !== SYNC_BYTE) throw new TsFormatError(`lost sync at packet ${index}`);
  const afc = (raw[3]! >> 4) & 0x3;
  const hasAdaptation = (afc & 0x2) !== 0;
  const hasPayload = (afc & 0x1) !== 0;
  let payloadStart = 4;
  let randomAccess = false;
  let pcr: bigint | undefined;
  if (hasAdaptation) {
    const afLen = raw[4]!;
    payloadStart = 5 + afLen;
    if (afLen > 0) {
      const flags = raw[5]!;
      randomAccess = (flags & 0x40) !== 0;
      if (flags & 0x10 && afLen >= 7) pcr = readPcr(raw, 6);
    }
  }
  return {
    index,
    pid: pidOf(raw),
    pusi: (raw[1]! & 0x40) !== 0,
    cc: raw[3]! & 0x0f,
    hasAdaptation,
    hasPayload,
    randomAccess,
    pcr,
    payloadStart,
    raw,
  };
}

function readPcr(b: Buffer, o: number): bigint {
  const base =
    (BigInt(b[o]!) << 25n) |
    (BigInt(b[o + 1]!) << 17n) |
    (BigInt(b[o + 2]!) << 9n) |
    (BigInt(b[o + 3]!) << 1n) |
    BigInt(b[o + 4]! >> 7);
  const ext = BigInt(((b[o + 4]! & 0x01) << 8) | b[o + 5]!);
  return base * 300n + ext;
}

export function writePcr(b: Buffer, o: number, pcr: bigint): void {
  const base = pcr / 300n;
  const ext = Number(pcr % 300n);
  b[o] = Number((base >> 25n) & 0xffn);
  b[o + 1] = Number((base >> 17n) & 0xffn);
  b[o + 2] = Number((base >> 9n) & 0xffn);
  b[o + 3] = Number((base >> 1n) & 0xffn);
  b[o + 4] = (Number(base & 1n) << 7) | 0x7e | ((ext >> 8) & 0x1);
  b[o + 5] = ext & 0xff;
}

export function payloadOf(p: TsPacket): Buffer {
  return p.hasPayload ? p.raw.subarray(p.payloadStart) : Buffer.alloc(0);
}

export interface StreamPids {
  pmtPid: number;
  videoPid: number;
  audioPid?: number;
  videoStreamType: number;
}

/** Reads PAT and PMT to find the H.264 video PID and the (first) audio PID. */
export function findStreams(packets: TsPacket[]): StreamPids {
  const pat = packets.find((p) => p.pid === PAT_PID && p.pusi);
  if (!pat) throw new TsFormatError('no PAT');
  const pmtPid = pmtPidOf(pat);
  const pmt = packets.find((p) => p.pid === pmtPid && p.pusi);
  if (!pmt) throw new TsFormatError('no PMT');
  const s = sectionOf(pmt);
  const len = ((s[1]! & 0x0f) << 8) | s[2]!;
  const progInfoLen = ((s[10]! & 0x0f) << 8) | s[11]!;
  let videoPid = -1;
  let videoStreamType = 0;
  let audioPid: number | undefined;
  for (let o = 12 + progInfoLen; o + 5 <= 3 + len - 4; ) {
    const type = s[o]!;
    const pid = ((s[o + 1]! & 0x1f) << 8) | s[o + 2]!;
    const esInfo = ((s[o + 3]! & 0x0f) << 8) | s[o + 4]!;
    if ((type === 0x1b || type === 0x24) && videoPid < 0) {
      videoPid = pid;
      videoStreamType = type;
    } else if ((type === 0x0f || type === 0x03 || type === 0x04 || type === 0x81) && audioPid === undefined) {
      audioPid = pid;
    }
    o += 5 + esInfo;
  }
  if (videoPid < 0) throw new TsFormatError('PMT lists no H.264 video stream');
  return { pmtPid, videoPid, audioPid, videoStreamType };
}

/** The PMT PID of the first program a PAT packet lists. */
export function pmtPidOf(pat: TsPacket): number {
  const patSec = sectionOf(pat);
  // Program loop starts after the 8-byte section header, ends before CRC.
  const secLen = ((patSec[1]! & 0x0f) << 8) | patSec[2]!;
  for (let o = 8; o + 4 <= 3 + secLen - 4; o += 4) {
    const program = (patSec[o]! << 8) | patSec[o + 1]!;
    if (program !== 0) return ((patSec[o + 2]! & 0x1f) << 8) | patSec[o + 3]!;
  }
  throw new TsFormatError('PAT lists no program');
}

function sectionOf(p: TsPacket): Buffer {
  const pl = payloadOf(p);
  const pointer = pl[0]!;
  return pl.subarray(1 + pointer);
}

export interface Pes {
  pid: number;
  pts?: number;
  dts?: number;
  /** Elementary-stream bytes (PES header removed). */
  data: Buffer;
  /** Indices of the TS packets that carried this PES. */
  packets: number[];
  randomAccess: boolean;
}

/** Reassembles the PES packets of one PID. A PES cut off at the buffer's start is skipped. */
export function collectPes(packets: TsPacket[], pid: number): Pes[] {
  const out: Pes[] = [];
  let cur: { parts: Buffer[]; packets: number[]; randomAccess: boolean } | null = null;
  const flush = () => {
    if (!cur) return;
    const whole = Buffer.concat(cur.parts);
    const h = parsePesHeader(whole);
    out.push({ pid, pts: h.pts, dts: h.dts, data: whole.subarray(h.headerLength), packets: cur.packets, randomAccess: cur.randomAccess });
    cur = null;
  };
  for (const p of packets) {
    if (p.pid !== pid || !p.hasPayload) continue;
    if (p.pusi) {
      flush();
      cur = { parts: [], packets: [], randomAccess: p.randomAccess };
    }
    if (!cur) continue;
    cur.parts.push(payloadOf(p));
    cur.packets.push(p.index);
  }
  flush();
  return out;
}

export interface PesHeader {
  streamId: number;
  pts?: number;
  dts?: number;
  headerLength: number;
}

export function parsePesHeader(b: Buffer): PesHeader {
  if (b.length < 9 || b[0] !== 0 || b[1] !== 0 || b[2] !== 1) throw new TsFormatError('PES start code missing');
  const streamId = b[3]!;
  const flags = b[7]!;
  const hdrDataLen = b[8]!;
  let pts: number | undefined;
  let dts: number | undefined;
  if (flags & 0x80) pts = readTimestamp(b, 9);
  if ((flags & 0xc0) === 0xc0) dts = readTimestamp(b, 14);
  return { streamId, pts, dts: dts ?? pts, headerLength: 9 + hdrDataLen };
}

function readTimestamp(b: Buffer, o: number): number {
  // 33 bits spread over 5 bytes with marker bits; exceeds 2^32 so use arithmetic, not bit ops.
  return (
    ((b[o]! >> 1) & 0x07) * 2 ** 30 +
    ((b[o + 1]! << 7) | (b[o + 2]! >> 1)) * 2 ** 15 +
    ((b[o + 3]! << 7) | (b[o + 4]! >> 1))
  );
}

function writeTimestamp(b: Buffer, o: number, prefix: number, ts: number): void {
  const hi = Math.floor(ts / 2 ** 30) & 0x07;
  const mid = Math.floor(ts / 2 ** 15) & 0x7fff;
  const lo = ts & 0x7fff;
  b[o] = (prefix << 4) | (hi << 1) | 1;
  b[o + 1] = mid >> 7;
  b[o + 2] = ((mid & 0x7f) << 1) | 1;
  b[o + 3] = lo >> 7;
  b[o + 4] = ((lo & 0x7f) << 1) | 1;
}

/** Builds a video PES header (unbounded length, as ffmpeg writes for video). */
export function buildVideoPesHeader(pts: number, dts: number | undefined, streamId = 0xe0): Buffer {
  const withDts = dts !== undefined && dts !== pts;
  const h = Buffer.alloc(withDts ? 19 : 14);
  h[0] = 0; h[1] = 0; h[2] = 1; h[3] = streamId;
  h[4] = 0; h[5] = 0; // PES_packet_length 0: allowed for video in TS
  h[6] = 0x80; // marker bits '10'
  h[7] = withDts ? 0xc0 : 0x80;
  h[8] = withDts ? 10 : 5;
  writeTimestamp(h, 9, withDts ? 0x3 : 0x2, pts);
  if (withDts) writeTimestamp(h, 14, 0x1, dts!);
  return h;
}

/**
 * Frames a byte stream that arrives in arbitrary chunks (a file read, an encoder's stdout)
 * into whole 188-byte packets, checking sync; a partial packet waits for the next chunk.
 */
export class PacketFramer {
  private tail = Buffer.alloc(0);
  private count = 0;

  /** The whole packets completed by this chunk (views into it, or into a joined copy). */
  push(chunk: Buffer): Buffer[] {
    const data = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const whole = data.length - (data.length % TS_PACKET_SIZE);
    this.tail = Buffer.from(data.subarray(whole));
    const packets: Buffer[] = [];
    for (let off = 0; off < whole; off += TS_PACKET_SIZE) {
      const raw = data.subarray(off, off + TS_PACKET_SIZE);
      if (raw[0] !== SYNC_BYTE) throw new TsFormatError(`lost sync at packet ${this.count}`);
      this.count++;
      packets.push(raw);
    }
    return packets;
  }

  /** Throws if the stream ended inside a packet. */
  end(): void {
    if (this.tail.length) throw new TsFormatError(`TS length is not a multiple of ${TS_PACKET_SIZE} (${this.tail.length} bytes left over)`);
  }
}
