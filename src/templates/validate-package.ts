// Everything a CRM operator needs to hear about a template package, all at
// once: schema, missing files, unsafe SVGs, the base video, characters the
// fonts lack, and text that will not fit with worst-case data. Each problem
// has its place (JSON pointer or file) and a message in English and Japanese.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fontCodepoints, missingChars, problemAt, type Problem } from './package/index.ts';
import { compileSvg, validateSvg } from '../overlays/svg.ts';
import { checkTemplate, measureFit, resolveLayerText, TemplateSyntaxError, type Layer, type TextLayer } from '../overlays/index.ts';
import { familyCoverage } from './glyphs.ts';
import { probe } from '../video/ffmpeg.ts';
import { applyLocale, MANIFEST_FILE, validateManifest, type Manifest } from './manifest.ts';
import { exampleData, worstData } from './fields.ts';

export const MAX_DURATION_SEC = 600;

export interface PackageReport {
  manifest?: Manifest;
  problems: Problem[];
}

export async function validatePackage(dir: string): Promise<PackageReport> {
  const read = await readManifest(dir);
  if ('problem' in read) return { problems: [read.problem] };
  const json = read.json;
  // The schema, then what it cannot say (references, order, field names, patterns, Handlebars).
  const manifestProblems = validateManifest(json);
  if (manifestProblems.length) return { problems: manifestProblems };
  // Checks run on a copy with the locale applied; the manifest goes back as uploaded (it is hashed).
  const m = structuredClone(json) as Manifest;
  applyLocale(m);
  const problems = [...(await fileProblems(dir, m)), ...(await videoProblems(dir, m)), ...(await textProblems(dir, m))];
  return { manifest: json as Manifest, problems };
}

async function readManifest(dir: string): Promise<{ json: unknown } | { problem: Problem }> {
  try {
    return { json: JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) };
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      problem: missing
        ? problemAt(`file:${MANIFEST_FILE}`, 'manifest_missing', { file: MANIFEST_FILE })
        : problemAt(`file:${MANIFEST_FILE}`, 'manifest_not_json', { file: MANIFEST_FILE, detail: (e as Error).message }),
    };
  }
}

/** Files the manifest refers to must be in the package (and SVGs must be self-contained). */
async function fileProblems(dir: string, m: Manifest): Promise<Problem[]> {
  const problems: Problem[] = [];
  const need = (pointer: string, rel: string | undefined) => {
    if (rel === undefined) return false;
    if (rel.includes('..') || path.isAbsolute(rel) || !existsSync(path.join(dir, rel))) {
      problems.push(problemAt(pointer, 'file_missing', { file: rel }));
      return false;
    }
    return true;
  };
  need('/video/file', m.video.file);
  for (const [i, f] of (m.fonts ?? []).entries()) need(`/fonts/${i}/file`, f.file);
  for (const [i, l] of m.layers.entries()) {
    if (l.type === 'svg' && need(`/layers/${i}/file`, l.file)) {
      problems.push(...svgProblems(`/layers/${i}/file`, l.file, await readFile(path.join(dir, l.file), 'utf8'), m));
    }
    if (l.type === 'image') {
      need(`/layers/${i}/file`, l.file);
      need(`/layers/${i}/fallback`, l.fallback);
    }
    if (l.type === 'items') need(`/layers/${i}/imageFallback`, l.imageFallback);
  }
  return problems;
}

/** An SVG layer's file: safe to draw, and its Handlebars compiles and fills in. */
function svgProblems(at: string, file: string, svgText: string, m: Manifest): Problem[] {
  const problems: Problem[] = [];
  const unsafe = validateSvg(svgText);
  for (const sp of unsafe) problems.push(problemAt(at, 'svg_unsafe', { file, detail: sp.message }));
  // The same Handlebars check every render makes (unknown helpers, partials, syntax), and a
  // dry run with example and worst-case data, so no render can fail on it.
  try {
    checkTemplate(svgText);
    if (unsafe.length === 0) {
      for (const [which, data] of [['example', exampleData(m.fields)], ['worst-case', worstData(m.fields)]] as const) {
        try {
          compileSvg(svgText)(data);
        } catch {
          problems.push(problemAt(at, 'template_dry_run', { data: which }));
        }
      }
    }
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e;
    problems.push(problemAt(at, 'svg_template_error', { file, detail: e.message }));
  }
  return problems;
}

/** The base video: size, length, frame rate, layers inside it; notes on rotation and audio. */
async function videoProblems(dir: string, m: Manifest): Promise<Problem[]> {
  if (!existsSync(path.join(dir, m.video.file))) return []; // reported as a missing file
  const problems: Problem[] = [];
  try {
    const v = await probe(path.join(dir, m.video.file));
    const w = m.output?.width ?? v.width;
    const h = m.output?.height ?? v.height;
    const landscape = w >= h;
    if ((landscape && (w > 1920 || h > 1080)) || (!landscape && (w > 1080 || h > 1920))) {
      problems.push(problemAt(m.output ? '/output' : '/video/file', 'video_too_large', { w, h }));
    }
    if (v.durationSec > MAX_DURATION_SEC) problems.push(problemAt('/video/file', 'video_too_long', { sec: v.durationSec.toFixed(1), max: MAX_DURATION_SEC }));
    if (!(v.fps > 0 && v.fps <= 60)) problems.push(problemAt('/video/file', 'fps_unsupported', { fps: v.fps }));
    for (const [i, l] of m.layers.entries()) {
      if (l.end > v.durationSec + 0.001) problems.push(problemAt(`/layers/${i}/end`, 'layer_after_video', { end: l.end, sec: v.durationSec.toFixed(2) }));
      const b = l.box;
      if (b.x < 0 || b.y < 0 || b.x + b.width > w || b.y + b.height > h) {
        problems.push(problemAt(`/layers/${i}/box`, 'box_outside_frame', { box: `${b.x},${b.y} ${b.width}x${b.height}`, w, h }));
      }
    }
    const watch = m.watch;
    if (watch?.poster_time !== undefined && watch.poster_time >= v.durationSec) problems.push(problemAt('/watch/poster_time', 'time_after_video', { at: watch.poster_time, sec: v.durationSec.toFixed(2) }));
    if (watch?.cta?.at !== undefined && watch.cta.at >= v.durationSec) problems.push(problemAt('/watch/cta/at', 'time_after_video', { at: watch.cta.at, sec: v.durationSec.toFixed(2) }));
    if (v.rotation) problems.push(problemAt('/video/file', 'video_rotated_note', { coded: `${v.codedWidth}x${v.codedHeight}`, rotation: v.rotation, seen: `${v.width}x${v.height}` }));
    if (!v.hasAudio) problems.push(problemAt('/video/file', 'no_audio_note'));
    // Preparation maps 0:a:0 only; say so rather than drop a commentary or dub track silently.
    if (v.audioTracks > 1) problems.push(problemAt('/video/file', 'audio_tracks_note', { n: v.audioTracks, first: v.audioTrack ?? '' }));
  } catch (e) {
    problems.push(problemAt('/video/file', 'video_unreadable', { detail: (e as Error).message }));
  }
  return problems;
}

/** Glyph coverage and overflow of every text, with example and worst-case data. */
async function textProblems(dir: string, m: Manifest): Promise<Problem[]> {
  const problems: Problem[] = [];
  const coverage = familyCoverage(await packagedFonts(dir, m, problems));
  const datasets: Array<['example' | 'worst-case', Record<string, unknown>]> = [
    ['example', exampleData(m.fields)],
    ['worst-case', worstData(m.fields)],
  ];
  for (const [i, l] of m.layers.entries()) {
    for (const { pointer, layer } of layerTexts(l)) {
      const drawable = coverage.of(layer.style.fontFamily);
      for (const [name, data] of datasets) {
        const text = resolveLayerText(layer, data);
        const missing = missingChars(text, drawable);
        if (missing.length) problems.push(problemAt(`/layers/${i}${pointer}`, 'glyphs_missing', { chars: missing, data: name }));
        if (name === 'worst-case' && layer.box.width > 0) {
          const fit = measureFit(layer, text);
          if (!fit.fits) problems.push(problemAt(`/layers/${i}${pointer}`, 'text_overflow', { w: layer.box.width, h: layer.box.height, size: fit.fontSize, truncated: fit.truncated }));
        }
      }
    }
  }
  return problems;
}

/** The characters of each packaged font; a font that cannot be read is a problem. */
async function packagedFonts(dir: string, m: Manifest, problems: Problem[]): Promise<Array<{ family: string; codepoints: Iterable<number> }>> {
  const packaged: Array<{ family: string; codepoints: Iterable<number> }> = [];
  for (const f of m.fonts ?? []) {
    if (!existsSync(path.join(dir, f.file))) continue; // reported as a missing file
    try {
      packaged.push({ family: f.family, codepoints: fontCodepoints(await readFile(path.join(dir, f.file))) });
    } catch (e) {
      problems.push(problemAt(`file:${f.file}`, 'font_unreadable', { detail: (e as Error).message }));
    }
  }
  return packaged;
}

/** The text-like parts of a layer, as text layers so coverage and fit can be measured the same way. */
function layerTexts(l: Layer): Array<{ pointer: string; layer: TextLayer }> {
  if (l.type === 'text') return [{ pointer: '/text', layer: l }];
  if (l.type === 'chart' && l.title) {
    return [{ pointer: '/title', layer: { id: l.id, type: 'text', start: l.start, end: l.end, box: { ...l.box, height: Math.round((l.style?.fontSize ?? 22) * 1.6) }, text: l.title, style: { fontSize: l.style?.fontSize ?? 22, color: '#fff' } } }];
  }
  return [];
}

/** Only informational problems (notes) — they do not block an upload. */
export function blocking(problems: Problem[]): Problem[] {
  return problems.filter((q) => !q.message.startsWith('note:'));
}
