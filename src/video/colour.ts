// One colour space for everything Kasane makes: BT.709, limited range, tagged in the
// stream. Browsers show untagged H.264 as BT.709 while ffmpeg converts with BT.601 by
// default, so an untagged stream whose overlays went RGB→YUV through ffmpeg's default
// had its overlay colours shifted on screen, and the poster (converted back with BT.601)
// did not match the video. Every RGB↔YUV step names BT.709 explicitly, sources in another
// space are converted once at preparation, and the encode tags its SPS so every player
// agrees (docs/architecture.md "Colour").

/** A source stream's colour description as ffmpeg prints it: `yuv420p(tv, bt709)`, `yuvj420p(pc, bt470bg/unknown/unknown)`. */
export interface SourceColour {
  /** Matrix coefficients (`bt709`, `smpte170m`, `bt470bg`, `bt2020nc`…), null when untagged. */
  matrix: string | null;
  primaries: string | null;
  transfer: string | null;
  /** `tv` (limited) or `pc` (full); null when untagged. */
  range: 'tv' | 'pc' | null;
}

/** Reads the colour description out of ffmpeg's video stream line. */
export function parseColour(streamLine: string): SourceColour {
  const none: SourceColour = { matrix: null, primaries: null, transfer: null, range: null };
  const m = /Video: [^\n]*?, (\w+)\(([^)]*)\)/.exec(streamLine);
  if (!m) return { ...none, range: /yuvj\d/.test(streamLine) ? 'pc' : null };
  const parts = m[2]!.split(',').map((s) => s.trim());
  const range = parts.find((p) => p === 'tv' || p === 'pc') as 'tv' | 'pc' | undefined;
  // One name when matrix, primaries and transfer agree, else "matrix/primaries/transfer".
  const desc = parts.find((p) => p !== range && p !== 'progressive' && !/^(top|bottom) (first|coded)/.test(p));
  const known = (s: string | undefined) => (s && s !== 'unknown' && s !== 'reserved' ? s : null);
  const [matrix, primaries = matrix, transfer = matrix] = desc ? desc.split('/') : [];
  return { matrix: known(matrix), primaries: known(primaries), transfer: known(transfer), range: range ?? (m[1]!.startsWith('yuvj') ? 'pc' : null) };
}

/** The encoder's VUI tags: every template and personal segment carries them (the SPS bytes must match). */
export function outputColourArgs(): string[] {
  return ['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'];
}

/** RGB(A) images (overlays) into the video's YUV: BT.709, limited range. */
export const RGB_TO_VIDEO = 'scale=out_color_matrix=bt709:out_range=tv';

/**
 * Overlay images (RGBA) into the video's YUV with alpha: BT.709, limited range, each chroma
 * sample the mean of its 2×2 pixels (swscale's direct conversion point-samples chroma: text
 * edges came out ~0.4 levels further from the RGB picture, on a red caption over colour bars).
 * Run once per image; the loop filter repeats the result.
 */
export const OVERLAY_TO_VIDEO = `${RGB_TO_VIDEO},format=yuva444p,scale=flags=area,format=yuva420p`;

/** The scale filter's options that read our YUV as a browser shows the stream (raw mezzanines carry no tag). */
export const VIDEO_AS_SHOWN = 'in_color_matrix=bt709:in_range=tv';

/** Our own YUV frames into RGB for stills. */
export const VIDEO_TO_RGB = `scale=${VIDEO_AS_SHOWN}`;

/**
 * The base video's pictures brought inside the RGB gamut, once, at preparation: to RGB as a
 * browser shows them (out-of-gamut colours clipped, as every screen does) and back to BT.709
 * yuv420p. Blending an overlay in YUV over an in-gamut picture is then the same arithmetic as
 * blending it in RGB, which is what the watch page's canvas does: out of gamut, under a
 * translucent overlay, the two differed by ~4 levels (colour bars). Blending in RGB at every
 * render instead cost 26–32 % more CPU per personal frame on the bundled templates; this is
 * paid once per template. In-gamut pictures come back as they were, but for rounding.
 */
export const CLIP_TO_GAMUT = `${VIDEO_TO_RGB},format=rgb24,${RGB_TO_VIDEO},format=yuv420p`;

const BT601 = new Set(['smpte170m', 'bt470bg', 'bt470m']);
const HDR_TRANSFER = new Set(['smpte2084', 'arib-std-b67']);

/**
 * Filters that turn a source's pictures into BT.709, run before scaling (none when the
 * source already is, or is untagged: browsers show untagged video as BT.709, which is what
 * the operator saw). BT.601 and SDR BT.2020 sources change matrix with the colorspace
 * filter (`fast`: matrix only, as players without colour management show them); HDR (PQ,
 * HLG) is tone-mapped to SDR with zimg and Hable's curve, since a BT.709 player would
 * otherwise show it grey and flat.
 */
export function toOutputColourFilters(c: SourceColour): string[] {
  const m = c.matrix;
  if (c.transfer && HDR_TRANSFER.has(c.transfer)) {
    return [
      `zscale=min=${m ?? 'bt2020nc'}:pin=${c.primaries ?? 'bt2020'}:tin=${c.transfer}:rin=${c.range === 'pc' ? 'full' : 'limited'}:t=linear:npl=100`,
      'format=gbrpf32le',
      'zscale=p=bt709',
      'tonemap=tonemap=hable:desat=0',
      'zscale=t=bt709:m=bt709:r=limited',
      'format=yuv420p',
    ];
  }
  const from = m && BT601.has(m) ? (m === 'bt470bg' ? 'bt601-6-625' : 'bt601-6-525') : m === 'bt2020nc' || m === 'bt2020c' ? 'bt2020' : m === 'smpte240m' ? 'smpte240m' : null;
  // range=tv: a full-range source (yuvj, as some phones record) is compressed here too; the
  // filter reads the input range from the frames.
  return from ? [`colorspace=all=bt709:iall=${from}:fast=1:range=tv:format=yuv420p`] : [];
}
