// Cuts one continuous MPEG-TS encode into HLS segments at given video frames.
// ffmpeg's own segment muxers either restart continuity counters per file or
// cannot cut at exact frame numbers; cutting the single-pass stream ourselves
// keeps every counter and timestamp exactly as the encoder wrote them.
// It reads the encode as a stream, packet by packet, holding only the segment
// being cut: a long template's single-pass file never sits in memory whole.
import { createReadStream } from 'node:fs';
import {
  PAT_PID,
  PacketFramer,
  TsFormatError,
  findStreams,
  parsePacket,
  parsePackets,
  parsePesHeader,
  pidOf,
  pmtPidOf,
  tsDelta,
} from './packets.ts';

export interface CutSegment {
  /** Position of the segment in the boundaries list. */
  index: number;
  /** Index of the first video frame (decode order == PES order) in the segment. */
  startFrame: number;
  frames: number;
  /** First video access unit's timestamps (90 kHz), as the encoder wrote them. */
  firstPts: number;
  firstDts: number;
  bytes: Buffer;
}

/**
 * Feed it the encode in chunks of any size; it returns each segment once the
 * next one's keyframe arrives, and the last one from end(). Segments start at
 * the keyframe's first packet and open with PAT and PMT (continuity counters
 * of the inserted and the original PSI packets renumbered in sequence).
 * Frames are counted in decode order; that this is also presentation order at
 * every cut (closed GOPs) is checked on the timestamps, modulo the 2^33 wrap.
 */
export class TsSegmenter {
  private readonly framer = new PacketFramer();
  /** Packets seen before the PAT and PMT told which PID is video. */
  private early: Buffer[] | null = [];
  private pat?: Buffer;
  private pmt?: Buffer;
  private pmtPid = -1;
  private videoPid = -1;
  private readonly psiCc = new Map<number, number>();
  private current: Buffer[] = [];
  private segment = 0;
  /** Video access units seen so far (decode order). */
  private frames = 0;
  private head?: { pts: number; dts: number };
  /** Presentation time of the current segment's keyframe and the latest frame displayed in it. */
  private keyPts?: number;
  private maxPts?: number;
  /** A video PES header split over packets (never seen from ffmpeg, but legal). */
  private partialHeader: Buffer | null = null;

  constructor(private readonly boundaries: number[]) {
    if (boundaries[0] !== 0) throw new Error('segment boundaries must start at frame 0');
    for (let i = 1; i < boundaries.length; i++) {
      if (!(boundaries[i]! > boundaries[i - 1]!)) throw new Error(`segment boundaries must increase (${boundaries[i - 1]} then ${boundaries[i]})`);
    }
  }

  push(chunk: Buffer): CutSegment[] {
    const done: CutSegment[] = [];
    for (const raw of this.framer.push(chunk)) {
      if (this.early) {
        this.early.push(raw);
        if (!this.learn(raw)) continue;
        const replay = this.early;
        this.early = null;
        for (const p of replay) this.handle(p, done);
      } else {
        this.handle(raw, done);
      }
    }
    return done;
  }

  /** The last segment. Throws if the stream ended early or a boundary lies past its end. */
  end(): CutSegment[] {
    this.framer.end();
    if (this.early) throw new TsFormatError(this.pat ? 'no PMT' : 'no PAT');
    if (this.frames === 0) throw new Error('encode has no video');
    if (this.segment < this.boundaries.length - 1) {
      throw new Error(`boundary frame ${this.boundaries[this.segment + 1]} is past the end (${this.frames} frames)`);
    }
    return [this.flush(this.frames)];
  }

  /** Keeps the first PAT and PMT; true once both are known. */
  private learn(raw: Buffer): boolean {
    const pid = pidOf(raw);
    const pusi = (raw[1]! & 0x40) !== 0;
    if (!pusi) return false;
    if (!this.pat && pid === PAT_PID) {
      this.pat = raw;
      this.pmtPid = pmtPidOf(parsePacket(raw, 0));
    } else if (this.pat && !this.pmt && pid === this.pmtPid) {
      this.pmt = raw;
      this.videoPid = findStreams(parsePackets(Buffer.concat([this.pat, this.pmt]))).videoPid;
      this.psiCc.set(PAT_PID, 0).set(this.pmtPid, 0);
      return true;
    }
    return false;
  }

  private handle(raw: Buffer, done: CutSegment[]): void {
    if (pidOf(raw) === this.videoPid && raw[3]! & 0x10) {
      if (raw[1]! & 0x40) this.startAccessUnit(raw, done);
      else if (this.partialHeader) this.headerBytes(parsePacket(raw, 0));
    }
    this.current.push(raw);
  }

  private startAccessUnit(raw: Buffer, done: CutSegment[]): void {
    const p = parsePacket(raw, 0);
    const f = this.frames;
    const next = this.boundaries[this.segment + 1];
    if (f === next) {
      if (!p.randomAccess) throw new Error(`frame ${f} is not a keyframe; the encode ignored a forced keyframe`);
      done.push(this.flush(f));
      this.segment++;
    }
    this.frames++;
    this.partialHeader = Buffer.alloc(0);
    this.headerBytes(p);
  }

  private headerBytes(p: ReturnType<typeof parsePacket>): void {
    const bytes = Buffer.concat([this.partialHeader!, p.raw.subarray(p.payloadStart)]);
    // 9 fixed bytes, then PES_header_data_length more; until then the header is incomplete.
    if (bytes.length < 9 || bytes.length < 9 + bytes[8]!) {
      this.partialHeader = bytes;
      return;
    }
    this.partialHeader = null;
    const h = parsePesHeader(bytes);
    if (h.pts === undefined) throw new TsFormatError(`video frame ${this.frames - 1} has no PTS`);
    if (!this.head) {
      this.head = { pts: h.pts, dts: h.dts! };
      // A cut must split presentation order too: everything before it is shown before its keyframe.
      if (this.maxPts !== undefined && tsDelta(this.maxPts, h.pts) <= 0) {
        throw new Error(`frame ${this.boundaries[this.segment]}: an earlier frame is shown after this keyframe; the encode is not closed-GOP`);
      }
      this.keyPts = h.pts;
      this.maxPts = h.pts;
      return;
    }
    if (tsDelta(this.keyPts!, h.pts) < 0) {
      throw new Error(`frame ${this.frames - 1} is shown before its segment's keyframe (frame ${this.boundaries[this.segment]}); the encode is not closed-GOP`);
    }
    if (tsDelta(this.maxPts!, h.pts) > 0) this.maxPts = h.pts;
  }

  private flush(endFrame: number): CutSegment {
    if (!this.head) throw new TsFormatError(`segment ${this.segment} has no whole video frame`);
    const out: Buffer[] = [];
    const emit = (raw: Buffer) => {
      const cc = this.psiCc.get(pidOf(raw));
      if (cc === undefined) return out.push(raw);
      const copy = Buffer.from(raw);
      copy[3] = (copy[3]! & 0xf0) | cc;
      this.psiCc.set(pidOf(raw), (cc + 1) & 0xf);
      out.push(copy);
    };
    // Every segment must open with PAT and PMT so a player can start anywhere.
    if (pidOf(this.current[0]!) !== PAT_PID) {
      emit(this.pat!);
      emit(this.pmt!);
    }
    for (const p of this.current) emit(p);
    const startFrame = this.boundaries[this.segment]!;
    const seg: CutSegment = {
      index: this.segment,
      startFrame,
      frames: endFrame - startFrame,
      firstPts: this.head.pts,
      firstDts: this.head.dts,
      bytes: Buffer.concat(out),
    };
    this.current = [];
    this.head = undefined;
    return seg;
  }
}

/**
 * @param boundaries frame numbers (in presentation order) where segments start; must include 0.
 */
export function cutSegments(ts: Buffer, boundaries: number[]): CutSegment[] {
  const s = new TsSegmenter(boundaries);
  return [...s.push(ts), ...s.end()];
}

/** Cuts an encode on disk, yielding each segment as soon as it is whole. */
export async function* cutSegmentsFromFile(file: string, boundaries: number[]): AsyncGenerator<CutSegment> {
  const s = new TsSegmenter(boundaries);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield* s.push(chunk as Buffer);
  yield* s.end();
}
