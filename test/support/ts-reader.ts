// MPEG-TS reading for the stream checks, independent of src/video/ts (the code the
// checks judge must not also be their ruler). Packet framing and adaptation fields are
// read here from ISO 13818-1 2.4.3.2; PAT/PMT and PES timestamps by mux.js, the TS
// probe video.js players use.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** mux.js/lib/m2ts/probe.js (untyped CommonJS): the helpers used here, on single 188-byte packets. */
interface MuxTsProbe {
  parsePat(packet: Uint8Array): number;
  parsePmt(packet: Uint8Array): Record<number, number> | undefined;
  parsePesTime(packet: Uint8Array): { pts: number; dts: number } | null;
}
const muxProbe = require('mux.js/lib/m2ts/probe.js') as MuxTsProbe;

export const PACKET_SIZE = 188;
export const NULL_PID = 0x1fff;

export class TsFormatError extends Error {}

export interface TsPacket {
  /** Position of the packet in its buffer. */
  index: number;
  pid: number;
  /** payload_unit_start_indicator. */
  pusi: boolean;
  /** continuity_counter. */
  cc: number;
  hasAdaptation: boolean;
  hasPayload: boolean;
  /** random_access_indicator of the adaptation field. */
  randomAccess: boolean;
  /** The payload bytes (after any adaptation field). */
  payload: Buffer;
  /** The whole 188 bytes. */
  raw: Buffer;
}

export function parsePackets(buf: Buffer): TsPacket[] {
  if (buf.length % PACKET_SIZE !== 0) throw new TsFormatError(`${buf.length} bytes is not a whole number of 188-byte packets`);
  const out: TsPacket[] = [];
  for (let index = 0; index * PACKET_SIZE < buf.length; index++) {
    const raw = buf.subarray(index * PACKET_SIZE, (index + 1) * PACKET_SIZE);
    if (raw[0] !== 0x47) throw new TsFormatError(`packet ${index} does not start with the sync byte 0x47`);
    const control = (raw[3]! >> 4) & 3; // adaptation_field_control: 01 payload, 10 adaptation, 11 both
    const hasAdaptation = control === 2 || control === 3;
    const hasPayload = control === 1 || control === 3;
    const adaptationLength = hasAdaptation ? raw[4]! + 1 : 0;
    if (4 + adaptationLength > PACKET_SIZE) throw new TsFormatError(`packet ${index}: adaptation field longer than the packet`);
    out.push({
      index,
      pid: ((raw[1]! & 0x1f) << 8) | raw[2]!,
      pusi: (raw[1]! & 0x40) !== 0,
      cc: raw[3]! & 0x0f,
      hasAdaptation,
      hasPayload,
      randomAccess: hasAdaptation && raw[4]! > 0 && (raw[5]! & 0x40) !== 0,
      payload: hasPayload ? raw.subarray(4 + adaptationLength) : raw.subarray(PACKET_SIZE),
      raw,
    });
  }
  return out;
}

export interface Streams {
  videoPid: number;
  /** 0x1b H.264, 0x24 HEVC. */
  videoStreamType: number;
  audioPid?: number;
}

const VIDEO_TYPES = new Set([0x1b, 0x24]);
const AUDIO_TYPES = new Set([0x0f, 0x03, 0x04, 0x81]);

/** The first video and audio elementary streams of the (first) program, from PAT and PMT. */
export function findStreams(packets: TsPacket[]): Streams {
  const pat = packets.find((p) => p.pid === 0 && p.pusi && p.hasPayload);
  if (!pat) throw new TsFormatError('no PAT');
  const pmtPid = muxProbe.parsePat(pat.raw);
  const pmt = packets.find((p) => p.pid === pmtPid && p.pusi && p.hasPayload);
  if (!pmt) throw new TsFormatError(`no PMT on PID 0x${pmtPid.toString(16)}`);
  const table = muxProbe.parsePmt(pmt.raw);
  if (!table) throw new TsFormatError('the PMT is not current');
  const entries = Object.entries(table).map(([pid, type]) => ({ pid: Number(pid), type }));
  const video = entries.find((e) => VIDEO_TYPES.has(e.type));
  if (!video) throw new TsFormatError('the PMT lists no H.264/HEVC stream');
  return { videoPid: video.pid, videoStreamType: video.type, audioPid: entries.find((e) => AUDIO_TYPES.has(e.type))?.pid };
}

export interface Pes {
  pts?: number;
  dts?: number;
  /** random_access_indicator on the PES's first TS packet. */
  randomAccess: boolean;
  /** Elementary-stream bytes, PES header removed. */
  data: Buffer;
}

/** The PES packets of one PID in order; a PES already under way at the buffer's start is left out. */
export function collectPes(packets: TsPacket[], pid: number): Pes[] {
  const out: Pes[] = [];
  let first: TsPacket | undefined;
  let parts: Buffer[] = [];
  const finish = () => {
    if (!first) return;
    const bytes = Buffer.concat(parts);
    if (bytes.length < 9 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 1) throw new TsFormatError(`PID 0x${pid.toString(16)} packet ${first.index}: no PES start code`);
    const time = muxProbe.parsePesTime(first.raw); // DTS = PTS when the PES carries no DTS
    out.push({ pts: time?.pts, dts: time?.dts, randomAccess: first.randomAccess, data: bytes.subarray(9 + bytes[8]!) });
  };
  for (const p of packets) {
    if (p.pid !== pid || !p.hasPayload) continue;
    if (p.pusi) {
      finish();
      first = p;
      parts = [];
    }
    if (first) parts.push(p.payload);
  }
  finish();
  return out;
}

/** Continuity-counter breaks per PID in one buffer, read independently of src/ (empty when continuous). */
export function ccBreaks(buf: Buffer): string[] {
  const last = new Map<number, number>();
  const breaks: string[] = [];
  for (const p of parsePackets(buf)) {
    if (!p.hasPayload) continue;
    const l = last.get(p.pid);
    if (l !== undefined && ((l + 1) & 15) !== p.cc) breaks.push(`pid ${p.pid} packet ${p.index}: ${l} → ${p.cc}`);
    last.set(p.pid, p.cc);
  }
  return breaks;
}
