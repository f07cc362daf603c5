// mp4 post-processing shared by the sample-video generators.
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * ffmpeg 4.x's mp4 muxer writes the AAC track's tkhd (and so mvhd) duration from the raw
 * sample count, priming and the padded last frame included (30.022 s for a 30 s video),
 * although the track's edit list already trims the audio to exactly 30.000 s. ISO/IEC 14496-12 says a
 * track's tkhd duration is the sum of its edits, so set it (and mvhd, the longest track)
 * from the edit lists. Same-size in-place field writes: no offsets move.
 */
export function fixMp4Durations(file: string): { before: number; after: number; timescale: number } {
  const buf = readFileSync(file);
  interface Box {
    type: string;
    start: number; // body start
    end: number;
  }
  const children = (start: number, end: number): Box[] => {
    const out: Box[] = [];
    let off = start;
    while (off + 8 <= end) {
      let size = buf.readUInt32BE(off);
      const type = buf.toString('latin1', off + 4, off + 8);
      let hdr = 8;
      if (size === 1) {
        size = Number(buf.readBigUInt64BE(off + 8));
        hdr = 16;
      } else if (size === 0) size = end - off;
      if (size < hdr || off + size > end) throw new Error(`bad mp4 box ${type} at ${off}`);
      out.push({ type, start: off + hdr, end: off + size });
      off += size;
    }
    return out;
  };
  const find = (boxes: Box[], type: string): Box | undefined => boxes.find((b) => b.type === type);
  const moov = find(children(0, buf.length), 'moov');
  if (!moov) throw new Error('no moov box');
  const moovKids = children(moov.start, moov.end);
  const mvhd = find(moovKids, 'mvhd');
  if (!mvhd) throw new Error('no mvhd box');
  const mvhdV1 = buf[mvhd.start] === 1;
  const mvhdDurOff = mvhd.start + (mvhdV1 ? 24 : 16);
  const timescale = buf.readUInt32BE(mvhd.start + (mvhdV1 ? 20 : 12));
  const readDur = (off: number, v1: boolean): number => (v1 ? Number(buf.readBigUInt64BE(off)) : buf.readUInt32BE(off));
  const writeDur = (off: number, v1: boolean, v: number): void => {
    if (v1) buf.writeBigUInt64BE(BigInt(v), off);
    else buf.writeUInt32BE(v, off);
  };
  const before = readDur(mvhdDurOff, mvhdV1);
  let longest = 0;
  for (const trak of moovKids.filter((b) => b.type === 'trak')) {
    const kids = children(trak.start, trak.end);
    const tkhd = find(kids, 'tkhd');
    if (!tkhd) continue;
    const tkhdV1 = buf[tkhd.start] === 1;
    const tkhdDurOff = tkhd.start + (tkhdV1 ? 28 : 20);
    let dur = readDur(tkhdDurOff, tkhdV1);
    const edts = find(kids, 'edts');
    const elst = edts ? find(children(edts.start, edts.end), 'elst') : undefined;
    if (elst) {
      const v1 = buf[elst.start] === 1;
      const n = buf.readUInt32BE(elst.start + 4);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += readDur(elst.start + 8 + i * (v1 ? 20 : 12), v1);
      if (sum > 0 && sum < dur) {
        dur = sum;
        writeDur(tkhdDurOff, tkhdV1, dur);
      }
    }
    longest = Math.max(longest, dur);
  }
  if (longest > 0 && longest !== before) writeDur(mvhdDurOff, mvhdV1, longest);
  writeFileSync(file, buf);
  return { before, after: longest || before, timescale };
}
