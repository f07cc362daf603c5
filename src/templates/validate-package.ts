// Everything a CRM operator needs to hear about a template package, all at
// once: schema, missing files, unsafe SVGs, the base video, characters the
// fonts lack, and text that will not fit with worst-case data. Each problem
// has its place (JSON pointer or file) and a message in English and Japanese.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { validateManifestSchema, fontCodepoints, bundledCoverage, missingChars, type Problem } from './package/index.ts';
import { validateSvg } from '../overlays/svg.ts';
import { measureFit, resolveLayerText, type Layer, type TextLayer } from '../overlays/index.ts';
import { probe } from '../video/ffmpeg.ts';
import { applyLocale, MANIFEST_FILE, validateManifest, type Manifest } from './manifest.ts';
import { exampleData, worstData } from './fields.ts';

export const MAX_DURATION_SEC = 600;

export interface PackageReport {
  manifest?: Manifest;
  problems: Problem[];
}

const p = (pointer: string, message: string, message_ja: string): Problem => ({ pointer, message, message_ja });

export async function validatePackage(dir: string): Promise<PackageReport> {
  const problems: Problem[] = [];
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    problems.push(missing
      ? p(`file:${MANIFEST_FILE}`, `${MANIFEST_FILE} is missing at the top of the package`, `パッケージの最上位に ${MANIFEST_FILE} がありません`)
      : p(`file:${MANIFEST_FILE}`, `${MANIFEST_FILE} is not valid JSON: ${(e as Error).message}`, `${MANIFEST_FILE} が正しいJSONではありません: ${(e as Error).message}`));
    return { problems };
  }
  problems.push(...validateManifestSchema(json));
  // Semantic checks the schema cannot express (unknown field references, duplicate ids, template syntax).
  const related = (x: string, y: string) => x === y || x.startsWith(y + '/') || y.startsWith(x + '/');
  for (const sp of validateManifest(json)) {
    if (!problems.some((q) => related(q.pointer, sp.pointer))) problems.push(p(sp.pointer, sp.message, jaFor(sp.message)));
  }
  if (problems.length) return { problems };
  // Checks run on a copy with the locale applied; the manifest goes back as uploaded (it is hashed).
  const m = structuredClone(json) as Manifest;
  applyLocale(m);

  // Files the manifest refers to must be in the package (and SVGs must be self-contained).
  const need = (pointer: string, rel: string | undefined) => {
    if (rel === undefined) return false;
    if (rel.includes('..') || path.isAbsolute(rel) || !existsSync(path.join(dir, rel))) {
      problems.push(p(pointer, `file "${rel}" is not in the package`, `ファイル「${rel}」がパッケージにありません`));
      return false;
    }
    return true;
  };
  need('/video/file', m.video.file);
  for (const [i, f] of (m.fonts ?? []).entries()) need(`/fonts/${i}/file`, f.file);
  for (const [i, l] of m.layers.entries()) {
    if (l.type === 'svg' && need(`/layers/${i}/file`, l.file)) {
      for (const sp of validateSvg(await readFile(path.join(dir, l.file), 'utf8'))) {
        problems.push(p(`/layers/${i}/file`, `${l.file}: ${sp.message}`, `${l.file}: 外部参照やスクリプトは使えません（${sp.message}）`));
      }
    }
    if (l.type === 'image') {
      need(`/layers/${i}/file`, l.file);
      need(`/layers/${i}/fallback`, l.fallback);
    }
    if (l.type === 'items') need(`/layers/${i}/imageFallback`, l.imageFallback);
  }

  // The base video.
  if (existsSync(path.join(dir, m.video.file))) {
    try {
      const v = await probe(path.join(dir, m.video.file));
      const w = m.output?.width ?? v.width;
      const h = m.output?.height ?? v.height;
      const landscape = w >= h;
      if ((landscape && (w > 1920 || h > 1080)) || (!landscape && (w > 1080 || h > 1920))) {
        problems.push(p(m.output ? '/output' : '/video/file', `${w}x${h} is larger than 1920x1080 (or 1080x1920 portrait); set output.width/height or re-export the video`, `${w}x${h} は上限（1920x1080、縦型は1080x1920）を超えています。output.width/height を指定するか動画を書き出し直してください`));
      }
      if (v.durationSec > MAX_DURATION_SEC) problems.push(p('/video/file', `the video is ${v.durationSec.toFixed(1)} s; the limit is ${MAX_DURATION_SEC} s`, `動画の長さ ${v.durationSec.toFixed(1)} 秒は上限 ${MAX_DURATION_SEC} 秒を超えています`));
      if (!(v.fps > 0 && v.fps <= 60)) problems.push(p('/video/file', `frame rate ${v.fps} is not supported (1-60 fps)`, `フレームレート ${v.fps} には対応していません（1〜60fps）`));
      for (const [i, l] of m.layers.entries()) {
        if (l.end > v.durationSec + 0.001) problems.push(p(`/layers/${i}/end`, `ends at ${l.end} s, after the video's ${v.durationSec.toFixed(2)} s`, `終了 ${l.end} 秒が動画の長さ ${v.durationSec.toFixed(2)} 秒を超えています`));
        const b = l.box;
        if (b.x < 0 || b.y < 0 || b.x + b.width > w || b.y + b.height > h) {
          problems.push(p(`/layers/${i}/box`, `box ${b.x},${b.y} ${b.width}x${b.height} is outside the ${w}x${h} frame`, `領域 ${b.x},${b.y} ${b.width}x${b.height} が画面 ${w}x${h} からはみ出しています`));
        }
      }
      if (v.rotation) problems.push(p('/video/file', `note: the video is stored ${v.codedWidth}x${v.codedHeight} and turned ${v.rotation}° for display; boxes use the ${v.width}x${v.height} picture as seen`, `注意: 動画は ${v.codedWidth}x${v.codedHeight} で保存され、表示時に ${v.rotation}° 回転します。領域は見たままの ${v.width}x${v.height} で指定してください`));
      if (!v.hasAudio) problems.push(p('/video/file', 'note: the video has no audio; a silent track will be added', '注意: 動画に音声がないため、無音トラックを付けます'));
      // Preparation maps 0:a:0 only; say so rather than drop a commentary or dub track silently.
      if (v.audioTracks > 1) problems.push(p('/video/file', `note: the video has ${v.audioTracks} audio tracks; only the first (${v.audioTrack}) is used, the others are left out`, `注意: 動画に音声トラックが${v.audioTracks}本あります。最初のトラック（${v.audioTrack}）だけを使い、ほかは使いません`));
    } catch (e) {
      problems.push(p('/video/file', `cannot read the video: ${(e as Error).message}`, `動画を読み込めません: ${(e as Error).message}`));
    }
  }

  // Glyph coverage and overflow, with example and worst-case data.
  const fontSets = new Map<string, Set<number>>();
  for (const f of m.fonts ?? []) {
    if (existsSync(path.join(dir, f.file))) {
      try {
        const set = fontSets.get(f.family) ?? new Set<number>();
        for (const c of fontCodepoints(await readFile(path.join(dir, f.file)))) set.add(c);
        fontSets.set(f.family, set);
      } catch (e) {
        problems.push(p(`file:${f.file}`, `cannot read font: ${(e as Error).message}`, `フォントを読み込めません: ${(e as Error).message}`));
      }
    }
  }
  const datasets: Array<[string, string, Record<string, unknown>]> = [
    ['example', '例', exampleData(m.fields)],
    ['worst-case', '最悪ケース', worstData(m.fields)],
  ];
  for (const [i, l] of m.layers.entries()) {
    const texts = layerTexts(l);
    for (const { pointer, layer } of texts) {
      const family = layer.style.fontFamily;
      const coverage = family && fontSets.has(family) ? fontSets.get(family)! : bundledCoverage();
      for (const [name, nameJa, data] of datasets) {
        const text = resolveLayerText(layer, data);
        const missing = missingChars(text, coverage);
        if (missing.length) {
          problems.push(p(`/layers/${i}${pointer}`, `the font lacks ${missing.map((c) => `"${c}" (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`).join(', ')} needed with ${name} data`, `${nameJa}データで使う文字「${missing.join('')}」がフォントにありません`));
        }
        if (name === 'worst-case' && layer.box.width > 0) {
          const fit = measureFit(layer, text);
          if (!fit.fits) {
            problems.push(p(`/layers/${i}${pointer}`, `with worst-case data the text does not fit its ${layer.box.width}x${layer.box.height} box (font ${fit.fontSize}px${fit.truncated ? ', cut with …' : ''}); enlarge the box, allow wrap, or lower the field's maxLength`, `最悪ケースのデータで文字が枠（${layer.box.width}x${layer.box.height}）に収まりません（${fit.fontSize}px${fit.truncated ? '、…で省略' : ''}）。枠を広げる、折り返しにする、または maxLength を小さくしてください`));
          }
        }
      }
    }
  }
  return { manifest: json as Manifest, problems };
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

/** Japanese for the semantic checks that the schema cannot express. */
function jaFor(message: string): string {
  let m: RegExpExecArray | null;
  if ((m = /^refers to unknown field "(.*)"$/.exec(message))) return `未定義のフィールド「${m[1]}」を参照しています`;
  if ((m = /^duplicate layer id "(.*)"$/.exec(message))) return `レイヤーID「${m[1]}」が重複しています`;
  if (/after start/.test(message)) return '終了時刻は開始時刻より後にしてください';
  if ((m = /^field "(.*)" must be an array field$/.exec(message))) return `フィールド「${m[1]}」は配列型にしてください`;
  return `テンプレートの記述に問題があります: ${message}`;
}
