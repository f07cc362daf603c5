// Stream checks for integration tests against a live HLS server (design doc's
// list, items 1-7 and 9). Every check runs; every failure is collected as a
// human-readable string. Nothing here asserts: callers assert on the report.
import HLS from 'hls-parser';
// An MPEG-TS reader of its own (with mux.js), never the src/video/ts parser these checks judge.
import { NULL_PID, TsFormatError, collectPes, findStreams, parsePackets, type Pes, type TsPacket } from './ts-reader.ts';
import { runFfmpeg } from './ffmpeg-run.ts';

type MediaPlaylist = HLS.types.MediaPlaylist;
type MasterPlaylist = HLS.types.MasterPlaylist;
type FetchFn = typeof fetch;

export interface StreamReport {
  ok: boolean;
  failures: string[];
  segments: Array<{
    uri: string;
    duration: number;
    bytes: number;
    firstVideoPts: number;
    firstVideoDts: number;
    lastVideoDts: number;
    firstAudioPts?: number;
    idr: boolean;
  }>;
  decodedDuration: number;
  totalExtinf: number;
  ffmpegWarnings: string;
  /** Observations that are legal but worth a look (e.g. a duplicate TS packet). Not failures. */
  notes: string[];
  /** Video frame duration in 90 kHz ticks inferred from DTS deltas (NaN if unknown). */
  frameDuration: number;
  /** Resolved URL of the media playlist that was checked (after following a master playlist). */
  mediaPlaylistUrl: string;
}

export interface CheckStreamOptions {
  /** Reference (un-personalized template) playlist URL with identical segmentation. */
  reference?: string;
  /** Used for every playlist/segment GET done by this module (ffmpeg fetches on its own). */
  fetchImpl?: typeof fetch;
  /** Skip the ffmpeg decode (item 6b and item 7 then use the PES count as decoded frame count). */
  skipFfmpeg?: boolean;
  /** Also GET every segment a second time and require identical bytes (JIT determinism). */
  refetchSegments?: boolean;
  /** ffmpeg timeout, default 120 s. */
  ffmpegTimeoutMs?: number;
  /** Timeout of each GET (headers and body), default 60 s. */
  requestTimeoutMs?: number;
}

// ---------------------------------------------------------------------------
// Elementary-stream helpers
// ---------------------------------------------------------------------------

export interface NalUnit {
  /** nal_unit_type (H.264: 5 bits; HEVC: 6 bits). */
  type: number;
  /** Offset of the NAL header byte inside the ES buffer. */
  offset: number;
  /** NAL unit bytes without start code and without trailing zero bytes. */
  data: Buffer;
}

/** Splits an Annex-B byte stream (start codes 00 00 01 / 00 00 00 01) into NAL units. */
export function nalUnits(es: Buffer, codec: 'h264' | 'hevc' = 'h264'): NalUnit[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < es.length; ) {
    if (es[i + 2]! > 1) {
      i += 3;
    } else if (es[i] === 0 && es[i + 1] === 0 && es[i + 2] === 1) {
      starts.push(i + 3);
      i += 3;
    } else {
      i += 1;
    }
  }
  const out: NalUnit[] = [];
  for (let k = 0; k < starts.length; k++) {
    const s = starts[k]!;
    let e = k + 1 < starts.length ? starts[k + 1]! - 3 : es.length;
    while (e > s && es[e - 1] === 0) e--; // trailing_zero_8bits / leading zero of a 4-byte start code
    if (e <= s) continue;
    const hdr = es[s]!;
    const type = codec === 'hevc' ? (hdr >> 1) & 0x3f : hdr & 0x1f;
    out.push({ type, offset: s, data: es.subarray(s, e) });
  }
  return out;
}

export const H264_NAL = { NON_IDR: 1, IDR: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;
const HEVC_IDR_TYPES = new Set([19, 20]);
const HEVC_SPS = 33;
const HEVC_PPS = 34;

export const ADTS_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export interface AdtsFrame {
  offset: number;
  /** frame_length: header + payload bytes. */
  length: number;
  sampleRate: number;
  channelConfig: number;
  /** MPEG-4 audio object type (profile + 1). */
  objectType: number;
  /** Raw data blocks (AAC frames) in this ADTS frame: number_of_raw_data_blocks_in_frame + 1. */
  blocks: number;
  /** PCM samples this ADTS frame decodes to (1024 per raw data block). */
  samples: number;
}

/**
 * Walks ADTS frames from the start of an audio PES payload. Stops at the first
 * byte that is not an ADTS sync word or at a frame that would overrun the
 * buffer; compare the parsed byte total with payload.length to detect that.
 */
export function adtsFrames(payload: Buffer): AdtsFrame[] {
  const out: AdtsFrame[] = [];
  let o = 0;
  while (o + 7 <= payload.length) {
    if (payload[o] !== 0xff || (payload[o + 1]! & 0xf6) !== 0xf0) break; // sync 0xFFF, layer 00
    const objectType = ((payload[o + 2]! >> 6) & 0x3) + 1;
    const srIndex = (payload[o + 2]! >> 2) & 0xf;
    const channelConfig = ((payload[o + 2]! & 0x1) << 2) | (payload[o + 3]! >> 6);
    const length = ((payload[o + 3]! & 0x3) << 11) | (payload[o + 4]! << 3) | (payload[o + 5]! >> 5);
    const blocks = (payload[o + 6]! & 0x3) + 1;
    const sampleRate = ADTS_SAMPLE_RATES[srIndex];
    if (sampleRate === undefined || length < 7 || o + length > payload.length) break;
    out.push({ offset: o, length, sampleRate, channelConfig, objectType, blocks, samples: blocks * 1024 });
    o += length;
  }
  return out;
}

const TS_WRAP = 2 ** 33;

/** b − a in 90 kHz ticks, modulo the 33-bit PTS wrap, as a signed number. */
export function tsDelta(a: number, b: number): number {
  let d = (b - a) % TS_WRAP;
  if (d > TS_WRAP / 2) d -= TS_WRAP;
  if (d < -TS_WRAP / 2) d += TS_WRAP;
  return d;
}

// ---------------------------------------------------------------------------
// Segment analysis
// ---------------------------------------------------------------------------

export interface SegmentAnalysis {
  packets: TsPacket[];
  videoPid: number;
  audioPid?: number;
  videoCodec: 'h264' | 'hevc';
  /** Video PES in order (PES cut off at the segment start are not included). */
  video: Array<{ pts?: number; dts?: number; randomAccess: boolean }>;
  firstVideoPts: number;
  firstVideoDts: number;
  lastVideoPts: number;
  lastVideoDts: number;
  /** DTS deltas between consecutive video PES inside the segment. */
  videoDtsDeltas: number[];
  /** First video PES contains an IDR NAL (H.264 type 5 / HEVC IDR). */
  idr: boolean;
  /** random_access_indicator on the first TS packet of the first video PES. */
  randomAccess: boolean;
  /** The segment's first packet on the PID does not start a PES (PES continued from the previous segment). */
  videoStartsMidPes: boolean;
  audioStartsMidPes: boolean;
  /** SPS / PPS NAL units found anywhere in the segment (hex, unique, in order of appearance). */
  sps: string[];
  pps: string[];
  firstAudioPts?: number;
  lastAudioPts?: number;
  /** PCM samples carried by the last audio PES (from its ADTS headers). */
  lastAudioSamples?: number;
  audioSampleRate?: number;
  /** Number of audio PES and AAC raw data blocks. */
  audioPesCount: number;
  audioFrames: number;
  /** Things inside this one segment that are wrong. */
  problems: string[];
}

export function analyzeSegment(buf: Buffer): SegmentAnalysis {
  const packets = parsePackets(buf);
  const streams = findStreams(packets);
  const videoCodec = streams.videoStreamType === 0x24 ? 'hevc' : 'h264';
  const problems: string[] = [];
  const firstOn = (pid: number) => packets.find((p) => p.pid === pid && p.hasPayload);
  const fv = firstOn(streams.videoPid);
  const videoStartsMidPes = !!fv && !fv.pusi;
  const fa = streams.audioPid === undefined ? undefined : firstOn(streams.audioPid);
  const audioStartsMidPes = !!fa && !fa.pusi;

  const vPes = collectPes(packets, streams.videoPid);
  const video = vPes.map((p) => ({ pts: p.pts, dts: p.dts, randomAccess: p.randomAccess }));
  const first = vPes[0];
  const last = vPes[vPes.length - 1];
  if (!first || !last) problems.push('no video PES');
  const deltas: number[] = [];
  for (let i = 1; i < vPes.length; i++) {
    const a = vPes[i - 1]!.dts;
    const b = vPes[i]!.dts;
    if (a === undefined || b === undefined) continue;
    const d = tsDelta(a, b);
    if (d <= 0) problems.push(`video DTS not increasing at PES ${i}: ${a} -> ${b}`);
    deltas.push(d);
  }
  vPes.forEach((p, i) => {
    if (p.pts === undefined) problems.push(`video PES ${i} has no PTS`);
  });

  const sps: string[] = [];
  const pps: string[] = [];
  const spsType = videoCodec === 'hevc' ? HEVC_SPS : H264_NAL.SPS;
  const ppsType = videoCodec === 'hevc' ? HEVC_PPS : H264_NAL.PPS;
  let idr = false;
  vPes.forEach((p, i) => {
    for (const n of nalUnits(p.data, videoCodec)) {
      if (i === 0 && (videoCodec === 'hevc' ? HEVC_IDR_TYPES.has(n.type) : n.type === H264_NAL.IDR)) idr = true;
      if (n.type === spsType) {
        const h = n.data.toString('hex');
        if (!sps.includes(h)) sps.push(h);
      } else if (n.type === ppsType) {
        const h = n.data.toString('hex');
        if (!pps.includes(h)) pps.push(h);
      }
    }
  });

  let firstAudioPts: number | undefined;
  let lastAudioPts: number | undefined;
  let lastAudioSamples: number | undefined;
  let audioSampleRate: number | undefined;
  let audioFrames = 0;
  let aPes: Pes[] = [];
  if (streams.audioPid !== undefined) {
    aPes = collectPes(packets, streams.audioPid);
    aPes.forEach((p, i) => {
      const frames = adtsFrames(p.data);
      const parsed = frames.reduce((s, f) => s + f.length, 0);
      if (parsed !== p.data.length) {
        problems.push(`audio PES ${i}: ADTS frames cover ${parsed} of ${p.data.length} bytes`);
      }
      for (const f of frames) {
        if (audioSampleRate === undefined) audioSampleRate = f.sampleRate;
        else if (f.sampleRate !== audioSampleRate) problems.push(`audio PES ${i}: sample rate changes ${audioSampleRate} -> ${f.sampleRate}`);
        audioFrames += f.blocks;
      }
      if (p.pts === undefined) problems.push(`audio PES ${i} has no PTS`);
      if (firstAudioPts === undefined) firstAudioPts = p.pts;
      lastAudioPts = p.pts;
      lastAudioSamples = frames.reduce((s, f) => s + f.samples, 0);
    });
  }

  return {
    packets,
    videoPid: streams.videoPid,
    audioPid: streams.audioPid,
    videoCodec,
    video,
    firstVideoPts: first?.pts ?? NaN,
    firstVideoDts: first?.dts ?? NaN,
    lastVideoPts: last?.pts ?? NaN,
    lastVideoDts: last?.dts ?? NaN,
    videoDtsDeltas: deltas,
    idr,
    randomAccess: first?.randomAccess ?? false,
    videoStartsMidPes,
    audioStartsMidPes,
    sps,
    pps,
    firstAudioPts,
    lastAudioPts,
    lastAudioSamples,
    audioSampleRate,
    audioPesCount: aPes.length,
    audioFrames,
    problems,
  };
}

// ---------------------------------------------------------------------------
// Continuity counters
// ---------------------------------------------------------------------------

export interface CcResult {
  failures: string[];
  notes: string[];
}

/**
 * Checks continuity_counter per PID across the concatenation of all segments:
 * packets with payload increment mod 16, adaptation-only packets repeat the
 * previous value. One duplicate packet (same CC, same bytes) is legal
 * (ISO 13818-1 2.4.3.3) and goes to notes; a second one in a row is a failure.
 */
export function checkContinuityCounters(segments: Array<{ label: string; packets: TsPacket[] } | null>, maxMessages = 20): CcResult {
  const failures: string[] = [];
  const notes: string[] = [];
  let suppressed = 0;
  const fail = (m: string) => {
    if (failures.length < maxMessages) failures.push(m);
    else suppressed++;
  };
  const state = new Map<number, { cc: number; raw: Buffer | null; dupes: number }>();
  for (const seg of segments) {
    if (!seg) {
      state.clear(); // unparseable segment: don't cascade
      continue;
    }
    for (const p of seg.packets) {
      if (p.pid === NULL_PID) continue;
      if (!p.hasPayload && !p.hasAdaptation) {
        fail(`${seg.label} packet ${p.index} PID 0x${p.pid.toString(16)}: reserved adaptation_field_control 00`);
        continue;
      }
      const prev = state.get(p.pid);
      const discInd = p.hasAdaptation && p.raw[4]! > 0 && (p.raw[5]! & 0x80) !== 0;
      const where = `${seg.label} packet ${p.index} PID 0x${p.pid.toString(16)}`;
      if (prev) {
        if (p.hasPayload) {
          const expected = (prev.cc + 1) & 0xf;
          if (p.cc === expected) {
            prev.dupes = 0;
          } else if (p.cc === prev.cc && prev.raw && samePacketIgnoringPcr(prev.raw, p.raw)) {
            prev.dupes++;
            if (prev.dupes === 1) notes.push(`${where}: duplicate packet (CC ${p.cc}), allowed once by ISO 13818-1`);
            else fail(`${where}: ${prev.dupes} duplicate packets in a row (CC ${p.cc})`);
          } else {
            fail(`${where}: CC discontinuity, expected ${expected} got ${p.cc}${discInd ? ' (discontinuity_indicator set)' : ''}`);
            prev.dupes = 0;
          }
        } else if (p.cc !== prev.cc) {
          fail(`${where}: adaptation-only packet changed CC ${prev.cc} -> ${p.cc} (must not increment)`);
        }
      }
      state.set(p.pid, { cc: p.cc, raw: p.hasPayload ? p.raw : prev?.raw ?? null, dupes: prev?.dupes ?? 0 });
    }
  }
  if (suppressed) failures.push(`... and ${suppressed} more continuity-counter failures`);
  return { failures, notes };
}

function samePacketIgnoringPcr(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  const hasPcr = (x: Buffer) => (x[3]! & 0x20) !== 0 && x[4]! >= 7 && (x[5]! & 0x10) !== 0;
  for (let i = 0; i < a.length; i++) {
    if (i >= 6 && i < 12 && hasPcr(a) && hasPcr(b)) continue;
    if (a[i] !== b[i]) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Playlists
// ---------------------------------------------------------------------------

interface Fetched {
  url: string;
  status: number;
  body: Buffer;
  contentLength: string | null;
}

type Getter = (url: string) => Promise<Fetched>;

function makeGetter(fetchImpl: FetchFn, timeoutMs: number): Getter {
  return async (url) => {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = Buffer.from(await res.arrayBuffer());
    return { url, status: res.status, body, contentLength: res.headers.get('content-length') };
  };
}

/**
 * Parses with hls-parser. Strict mode first (a failure is recorded), then a
 * lenient, silent parse so the remaining checks can still run. Restores the
 * library's global options afterwards.
 */
export function parsePlaylist(text: string, label: string, failures: string[]): MediaPlaylist | MasterPlaylist | null {
  const saved = { ...HLS.getOptions() };
  try {
    HLS.setOptions({ ...saved, strictMode: true });
    try {
      return HLS.parse(text) as MediaPlaylist | MasterPlaylist;
    } catch (e) {
      failures.push(`${label}: hls-parser strict mode rejects the playlist: ${(e as Error).message}`);
    }
    HLS.setOptions({ ...saved, strictMode: false, silent: true });
    try {
      return HLS.parse(text) as MediaPlaylist | MasterPlaylist;
    } catch (e) {
      failures.push(`${label}: hls-parser cannot parse the playlist even leniently: ${(e as Error).message}`);
      return null;
    }
  } finally {
    HLS.setOptions(saved);
  }
}

interface LoadedMedia {
  url: string;
  playlist: MediaPlaylist;
  text: string;
}

/** GETs a playlist twice (bytes must match), follows the first variant of a master playlist. */
async function loadMediaPlaylist(url: string, label: string, get: Getter, failures: string[]): Promise<LoadedMedia | null> {
  let current = url;
  for (let depth = 0; depth < 3; depth++) {
    let a: Fetched;
    let b: Fetched;
    try {
      a = await get(current);
      b = await get(current);
    } catch (e) {
      failures.push(`${label}: GET ${current} failed: ${(e as Error).message}`);
      return null;
    }
    if (a.status !== 200) {
      failures.push(`${label}: GET ${current} -> HTTP ${a.status}`);
      return null;
    }
    if (b.status !== 200 || !a.body.equals(b.body)) {
      failures.push(`${label}: repeated GET of ${current} returned different bytes (HTTP ${b.status}, ${a.body.length} vs ${b.body.length} bytes)`);
    }
    const text = a.body.toString('utf8');
    const pl = parsePlaylist(text, `${label} ${current}`, failures);
    if (!pl) return null;
    if (pl.isMasterPlaylist) {
      const v = pl.variants[0];
      if (!v) {
        failures.push(`${label}: master playlist ${current} has no variants`);
        return null;
      }
      current = new URL(v.uri, current).toString();
      continue;
    }
    return { url: current, playlist: pl, text };
  }
  failures.push(`${label}: playlist nesting too deep at ${current}`);
  return null;
}

function checkMediaPlaylist(m: LoadedMedia, label: string, failures: string[]): void {
  const pl = m.playlist;
  const td = pl.targetDuration;
  pl.segments.forEach((s, i) => {
    if (Math.round(s.duration) > td) {
      failures.push(`${label}: segment ${i} EXTINF ${s.duration} rounds above TARGETDURATION ${td}`);
    }
    if (s.discontinuity) failures.push(`${label}: EXT-X-DISCONTINUITY before segment ${i}`);
  });
  // Count tags in the text too: hls-parser folds a discontinuity before the
  // first segment or a trailing one into nothing visible.
  const discTags = m.text.split('\n').filter((l) => l.trim() === '#EXT-X-DISCONTINUITY').length;
  const parsedDisc = pl.segments.filter((s) => s.discontinuity).length;
  if (discTags > parsedDisc) failures.push(`${label}: ${discTags} EXT-X-DISCONTINUITY tag(s) in the playlist text`);
  if (pl.playlistType !== 'VOD') failures.push(`${label}: EXT-X-PLAYLIST-TYPE is ${pl.playlistType ?? 'missing'}, expected VOD`);
  if (!pl.endlist) failures.push(`${label}: EXT-X-ENDLIST missing`);
  if (pl.segments.length === 0) failures.push(`${label}: no segments`);
}

// ---------------------------------------------------------------------------
// Segments
// ---------------------------------------------------------------------------

interface LoadedSegment {
  uri: string;
  duration: number;
  body: Buffer | null;
  analysis: SegmentAnalysis | null;
}

async function loadSegments(
  m: LoadedMedia,
  label: string,
  get: Getter,
  failures: string[],
  opts: { checkContentLength: boolean; refetch: boolean },
): Promise<LoadedSegment[]> {
  const out: LoadedSegment[] = [];
  for (let i = 0; i < m.playlist.segments.length; i++) {
    const s = m.playlist.segments[i]!;
    const uri = new URL(s.uri, m.url).toString();
    const seg: LoadedSegment = { uri, duration: s.duration, body: null, analysis: null };
    out.push(seg);
    let r: Fetched;
    try {
      r = await get(uri);
    } catch (e) {
      failures.push(`${label}: segment ${i} GET ${uri} failed: ${(e as Error).message}`);
      continue;
    }
    if (r.status !== 200) {
      failures.push(`${label}: segment ${i} GET ${uri} -> HTTP ${r.status}`);
      continue;
    }
    seg.body = r.body;
    if (opts.checkContentLength) {
      if (r.contentLength === null) failures.push(`${label}: segment ${i} response has no Content-Length header`);
      else if (Number(r.contentLength) !== r.body.length) {
        failures.push(`${label}: segment ${i} Content-Length ${r.contentLength} != body length ${r.body.length}`);
      }
    }
    if (opts.refetch) {
      try {
        const again = await get(uri);
        if (again.status !== 200 || !again.body.equals(r.body)) {
          failures.push(`${label}: segment ${i} repeated GET returned different bytes (HTTP ${again.status}, ${again.body.length} vs ${r.body.length} bytes)`);
        }
      } catch (e) {
        failures.push(`${label}: segment ${i} repeated GET failed: ${(e as Error).message}`);
      }
    }
    try {
      seg.analysis = analyzeSegment(r.body);
      for (const p of seg.analysis.problems) failures.push(`${label}: segment ${i}: ${p}`);
    } catch (e) {
      const kind = e instanceof TsFormatError ? 'not valid MPEG-TS' : 'cannot be analysed';
      failures.push(`${label}: segment ${i} ${kind}: ${(e as Error).message}`);
    }
  }
  return out;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function checkSegmentsInternal(segs: LoadedSegment[], label: string, failures: string[], frameDuration: number): void {
  const analysed = segs.map((s, i) => ({ i, a: s.analysis })).filter((x): x is { i: number; a: SegmentAnalysis } => !!x.a);

  // 5. IDR at every segment start, SPS/PPS identical everywhere.
  for (const { i, a } of analysed) {
    if (a.videoStartsMidPes) failures.push(`${label}: segment ${i} starts in the middle of a video PES`);
    if (a.audioStartsMidPes) failures.push(`${label}: segment ${i} starts in the middle of an audio PES`);
    if (!a.idr) failures.push(`${label}: segment ${i} first video PES has no IDR NAL unit`);
    if (!a.randomAccess) failures.push(`${label}: segment ${i} first video packet lacks random_access_indicator`);
    if (a.sps.length === 0) failures.push(`${label}: segment ${i} carries no SPS`);
    if (a.pps.length === 0) failures.push(`${label}: segment ${i} carries no PPS`);
  }
  const base = analysed[0];
  if (base) {
    for (const { i, a } of analysed.slice(1)) {
      if (a.sps.length && a.sps.join() !== base.a.sps.join()) failures.push(`${label}: segment ${i} SPS differs from segment ${base.i}`);
      if (a.pps.length && a.pps.join() !== base.a.pps.join()) failures.push(`${label}: segment ${i} PPS differs from segment ${base.i}`);
      if (a.audioSampleRate !== base.a.audioSampleRate) failures.push(`${label}: segment ${i} audio sample rate ${a.audioSampleRate} differs from segment ${base.i} (${base.a.audioSampleRate})`);
    }
  }

  // 4b. Timestamp continuity at every boundary.
  for (let k = 1; k < segs.length; k++) {
    const prev = segs[k - 1]!.analysis;
    const next = segs[k]!.analysis;
    if (!prev || !next) continue;
    if (Number.isFinite(frameDuration) && Number.isFinite(prev.lastVideoDts) && Number.isFinite(next.firstVideoDts)) {
      const d = tsDelta(prev.lastVideoDts, next.firstVideoDts);
      if (Math.abs(d - frameDuration) > 1) {
        failures.push(
          `${label}: video DTS gap at boundary ${k - 1}->${k}: last DTS ${prev.lastVideoDts} + ${frameDuration} = ${prev.lastVideoDts + frameDuration}, next first DTS ${next.firstVideoDts} (off by ${d - frameDuration} ticks)`,
        );
      }
    }
    if (prev.lastAudioPts !== undefined && next.firstAudioPts !== undefined && prev.audioSampleRate && prev.lastAudioSamples) {
      const expectedDelta = (prev.lastAudioSamples * 90000) / prev.audioSampleRate;
      const d = tsDelta(prev.lastAudioPts, next.firstAudioPts);
      if (Math.abs(d - expectedDelta) > 1) {
        failures.push(
          `${label}: audio PTS gap at boundary ${k - 1}->${k}: last PTS ${prev.lastAudioPts} + ${prev.lastAudioSamples} samples (${expectedDelta.toFixed(2)} ticks) != next first PTS ${next.firstAudioPts} (off by ${(d - expectedDelta).toFixed(2)} ticks)`,
        );
      }
    }
    if ((prev.audioPid === undefined) !== (next.audioPid === undefined)) {
      failures.push(`${label}: audio stream present in only one of segments ${k - 1} and ${k}`);
    }
  }
}

function compareWithReference(segs: LoadedSegment[], ref: LoadedSegment[], failures: string[]): void {
  if (segs.length !== ref.length) {
    failures.push(`reference: segment count ${segs.length} != reference ${ref.length}`);
  }
  const n = Math.min(segs.length, ref.length);
  for (let i = 0; i < n; i++) {
    const a = segs[i]!.analysis;
    const r = ref[i]!.analysis;
    if (!a || !r) continue;
    const cmp = (what: string, x: number | undefined, y: number | undefined) => {
      if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) failures.push(`reference: segment ${i} ${what} ${x} != reference ${y}${x !== undefined && y !== undefined ? ` (delta ${tsDelta(y, x)})` : ''}`);
    };
    cmp('first video PTS', a.firstVideoPts, r.firstVideoPts);
    cmp('first video DTS', a.firstVideoDts, r.firstVideoDts);
    cmp('first audio PTS', a.firstAudioPts, r.firstAudioPts);
    if (Math.abs(segs[i]!.duration - ref[i]!.duration) > 1e-6) failures.push(`reference: segment ${i} EXTINF ${segs[i]!.duration} != reference ${ref[i]!.duration}`);
    if (a.sps.join() !== r.sps.join()) failures.push(`reference: segment ${i} SPS differs from the reference's`);
    if (a.pps.join() !== r.pps.join()) failures.push(`reference: segment ${i} PPS differs from the reference's`);
  }
}

// ---------------------------------------------------------------------------
// ffmpeg decode
// ---------------------------------------------------------------------------

export interface FfmpegDecode {
  warnings: string;
  frames: number;
  outTimeUs: number;
  exitCode: number | null;
  timedOut: boolean;
}

/**
 * `ffmpeg -hide_banner -nostats -v warning -progress pipe:1 -i URL -map 0 -f null -`:
 * stderr is the warnings (should be empty), stdout the progress blocks.
 */
export async function ffmpegDecode(url: string, timeoutMs = 120_000): Promise<FfmpegDecode> {
  const r = await runFfmpeg(['-hide_banner', '-nostats', '-v', 'warning', '-progress', 'pipe:1', '-i', url, '-map', '0', '-f', 'null', '-'], timeoutMs);
  let frames = NaN;
  let outTimeUs = NaN;
  for (const line of r.stdout.split('\n')) {
    const m = /^(frame|out_time_us)=\s*(-?\d+)/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'frame') frames = Number(m[2]);
    else outTimeUs = Number(m[2]);
  }
  return { warnings: r.stderr.trim(), frames, outTimeUs, exitCode: r.code, timedOut: r.timedOut };
}

// ---------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------

export async function checkStream(
  playlistUrl: string,
  opts: CheckStreamOptions = {},
): Promise<StreamReport> {
  const get = makeGetter(opts.fetchImpl ?? globalThis.fetch, opts.requestTimeoutMs ?? 60_000);
  const failures: string[] = [];
  const notes: string[] = [];
  const report: StreamReport = {
    ok: false,
    failures,
    segments: [],
    decodedDuration: NaN,
    totalExtinf: NaN,
    ffmpegWarnings: '',
    notes,
    frameDuration: NaN,
    mediaPlaylistUrl: playlistUrl,
  };

  // 1, 2, 3: playlist.
  const media = await loadMediaPlaylist(playlistUrl, 'playlist', get, failures);
  if (!media) return finish(report);
  report.mediaPlaylistUrl = media.url;
  checkMediaPlaylist(media, 'playlist', failures);
  report.totalExtinf = media.playlist.segments.reduce((s, x) => s + x.duration, 0);

  // 9 + fetch: segments.
  const segs = await loadSegments(media, 'playlist', get, failures, {
    checkContentLength: true,
    refetch: !!opts.refetchSegments,
  });
  const deltas = segs.flatMap((s) => s.analysis?.videoDtsDeltas ?? []);
  const frameDuration = median(deltas);
  report.frameDuration = frameDuration;
  if (!Number.isFinite(frameDuration)) failures.push('cannot infer the video frame duration (fewer than two video PES per segment?)');
  report.segments = segs.map((s) => ({
    uri: s.uri,
    duration: s.duration,
    bytes: s.body?.length ?? 0,
    firstVideoPts: s.analysis?.firstVideoPts ?? NaN,
    firstVideoDts: s.analysis?.firstVideoDts ?? NaN,
    lastVideoDts: s.analysis?.lastVideoDts ?? NaN,
    firstAudioPts: s.analysis?.firstAudioPts,
    idr: !!s.analysis?.idr && s.analysis.randomAccess,
  }));

  // 4b, 5.
  checkSegmentsInternal(segs, 'playlist', failures, frameDuration);

  // 6a: continuity counters over the concatenation.
  const cc = checkContinuityCounters(segs.map((s, i) => (s.analysis ? { label: `segment ${i}`, packets: s.analysis.packets } : null)));
  failures.push(...cc.failures);
  notes.push(...cc.notes);

  // 4a: reference.
  if (opts.reference) {
    const refFailures: string[] = [];
    const ref = await loadMediaPlaylist(opts.reference, 'reference', get, refFailures);
    if (ref) {
      const refSegs = await loadSegments(ref, 'reference', get, refFailures, { checkContentLength: false, refetch: false });
      compareWithReference(segs, refSegs, failures);
    }
    // Problems of the reference itself are reported, marked as such.
    failures.push(...refFailures);
  }

  // 6b, 7: ffmpeg.
  const videoPes = segs.reduce((s, x) => s + (x.analysis?.video.length ?? 0), 0);
  const skipReason = opts.skipFfmpeg
    ? 'skipFfmpeg'
    : !media.playlist.endlist
      ? 'the playlist has no EXT-X-ENDLIST, ffmpeg would treat it as live and wait for more segments'
      : undefined;
  if (skipReason) {
    report.decodedDuration = (videoPes * frameDuration) / 90000;
    notes.push(`ffmpeg skipped (${skipReason}): decodedDuration is the video PES count x frame duration`);
  } else {
    try {
      const d = await ffmpegDecode(media.url, opts.ffmpegTimeoutMs);
      report.ffmpegWarnings = d.warnings;
      if (d.timedOut) failures.push('ffmpeg: timed out decoding the playlist');
      else if (d.exitCode !== 0) failures.push(`ffmpeg: exit code ${d.exitCode}`);
      if (d.warnings) failures.push(`ffmpeg: printed warnings/errors:\n${indent(headLines(d.warnings, 12))}`);
      if (Number.isFinite(d.frames) && d.frames > 0 && Number.isFinite(frameDuration)) {
        report.decodedDuration = (d.frames * frameDuration) / 90000;
        if (d.frames !== videoPes) notes.push(`ffmpeg decoded ${d.frames} video frames, the segments carry ${videoPes} video PES`);
      } else if (Number.isFinite(d.outTimeUs)) {
        report.decodedDuration = d.outTimeUs / 1e6;
        notes.push('decodedDuration from out_time_us (no frame count)');
      }
      notes.push(`ffmpeg: frame=${d.frames} out_time_us=${d.outTimeUs}`);
    } catch (e) {
      failures.push(`ffmpeg: could not run: ${(e as Error).message}`);
    }
  }
  if (!Number.isFinite(report.decodedDuration)) {
    failures.push('decoded duration unknown');
  } else if (Number.isFinite(frameDuration) && Number.isFinite(report.totalExtinf)) {
    const tol = frameDuration / 90000 + 1e-6;
    const diff = report.totalExtinf - report.decodedDuration;
    if (Math.abs(diff) > tol) {
      failures.push(`sum of EXTINF ${report.totalExtinf.toFixed(6)} s differs from decoded duration ${report.decodedDuration.toFixed(6)} s by ${diff.toFixed(6)} s (> 1 frame = ${(frameDuration / 90000).toFixed(6)} s)`);
    }
  }

  return finish(report);
}

function headLines(s: string, n: number): string {
  const lines = s.split('\n');
  return lines.length <= n ? s : `${lines.slice(0, n).join('\n')}\n... (${lines.length} lines in all, see report.ffmpegWarnings)`;
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

function finish(r: StreamReport): StreamReport {
  r.ok = r.failures.length === 0;
  return r;
}
