// Cuts an MPEG-TS video stream into pieces of known frame counts while it is
// still being written, so each personalized segment can be spliced and stored
// the moment its last frame leaves the encoder, not when the whole pass ends.
// Works on a video-only encode whose pieces each start with an IDR frame
// (closed GOP), so decode order never crosses a piece boundary.
import { findStreams, PacketFramer, parsePackets, PAT_PID, TS_PACKET_SIZE, TsFormatError } from './packets.ts';

export class StreamCutter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly framer = new PacketFramer();
  private psi: Buffer | null = null;
  private videoPid = -1;
  private pmtPid = -1;
  private framesSeen = 0;
  private piece = 0;
  private readonly ends: number[];

  /** @param frames frame count of each piece, in stream order */
  constructor(private readonly frames: number[]) {
    let sum = 0;
    this.ends = frames.map((f) => (sum += f));
  }

  /** Feeds encoder output; returns the pieces completed by it (each with PAT/PMT in front). */
  push(chunk: Buffer): Buffer[] {
    const done: Buffer[] = [];
    for (const p of this.framer.push(chunk)) {
      const pid = ((p[1]! & 0x1f) << 8) | p[2]!;
      const pusi = (p[1]! & 0x40) !== 0;
      if (this.videoPid < 0) {
        this.learnStreams(p);
      } else if (pid === this.videoPid && pusi) {
        // A new access unit: if it is the first frame of the next piece, the current piece is whole.
        if (this.piece < this.ends.length - 1 && this.framesSeen === this.ends[this.piece]) done.push(this.flush());
        this.framesSeen++;
      }
      if (pid === PAT_PID || pid === this.pmtPid) continue; // re-added in front of every piece
      this.pending.push(p);
      this.pendingBytes += TS_PACKET_SIZE;
    }
    return done;
  }

  /** The last piece, once the encoder has exited. Throws if the frame counts do not add up. */
  end(): Buffer {
    this.framer.end();
    const total = this.ends[this.ends.length - 1] ?? 0;
    if (this.framesSeen !== total) throw new TsFormatError(`encoder produced ${this.framesSeen} frames, expected ${total}`);
    if (this.piece !== this.ends.length - 1) throw new TsFormatError('encoder output ended early');
    return this.flush();
  }

  private learnStreams(p: Buffer): void {
    const pid = ((p[1]! & 0x1f) << 8) | p[2]!;
    if (pid === PAT_PID || (this.psi && pid !== PAT_PID)) {
      this.psi = this.psi ? Buffer.concat([this.psi, p]) : Buffer.from(p);
      try {
        const packets = parsePackets(this.psi);
        const s = findStreams(packets);
        this.videoPid = s.videoPid;
        this.pmtPid = s.pmtPid;
        this.psi = Buffer.concat(packets.filter((q) => q.pid === PAT_PID || q.pid === s.pmtPid).map((q) => q.raw));
      } catch {
        /* PMT not seen yet */
      }
    }
  }

  private flush(): Buffer {
    if (!this.psi) throw new TsFormatError('encoder output has no PAT/PMT');
    const out = Buffer.concat([this.psi, ...this.pending], this.psi.length + this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.piece++;
    return out;
  }
}
