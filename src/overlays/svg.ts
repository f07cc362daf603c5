// SVG overlays designed in Figma/Illustrator with Handlebars placeholders.
// Unlike overlay text, the output here is markup, so values are XML-escaped;
// and the file must be self-contained: no external references, scripts or
// event handlers (svg-sanitize.ts), checked on upload and again after filling in.
import Handlebars from 'handlebars';
import { loadImage } from '@napi-rs/canvas';
import { DEFAULT_FONT_FAMILY, ensureFonts } from './fonts.ts';
import { checkTemplate, registerOverlayHelpers, TemplateSyntaxError } from './handlebars.ts';
import { drawingOf, layerCanvas } from './image.ts';
import type { SvgLayer } from './types.ts';
import { sanitizeSvg, validateSvg } from './svg-sanitize.ts';
import type { AssetSource, DrawContext, LayerDrawing } from './draw-layer.ts';

export { validateSvg, type SvgProblem } from './svg-sanitize.ts';

// Isolated, with escaping on (the Handlebars default): '<' in a name is text, not a tag.
const hb = Handlebars.create();
registerOverlayHelpers(hb);

// Longest string value put into an SVG: nothing longer fits a video overlay,
// and a megabyte name should not become a megabyte of SVG text to lay out.
const MAX_VALUE_LENGTH = 2000;
const MAX_LIST_LENGTH = 1000;

/** Names Noto Sans JP after every font the SVG asks for, so Japanese text never turns into boxes when a design font is missing. */
function withFontFallback(svg: string): string {
  const family = `'${DEFAULT_FONT_FAMILY}'`;
  let out = svg.replace(/(\sfont-family\s*=\s*)("([^"]*)"|'([^']*)')/gi, (whole, pre: string, _q: string, dq?: string, sq?: string) => {
    const list = dq ?? sq ?? '';
    if (list.includes(DEFAULT_FONT_FAMILY)) return whole;
    return dq !== undefined ? `${pre}"${list}, ${family}"` : `${pre}'${list}, "${DEFAULT_FONT_FAMILY}"'`;
  });
  // Text without any font-family inherits this from the root.
  out = out.replace(/<svg\b([^>]*)>/i, (tag, attrs: string) => (/\sfont-family\s*=/i.test(attrs) ? tag : `<svg font-family="${family}"${attrs}>`));
  return out;
}

type Render = (data: Record<string, unknown>) => string;
const CACHE_LIMIT = 200;
const compiled = new Map<string, Render>();

/** Compiles an SVG template; throws for a template that is unsafe or could never render (a template error). */
export function compileSvg(source: string): Render {
  const hit = compiled.get(source);
  if (hit) return hit;
  const problems = validateSvg(source);
  if (problems.length) throw new Error(`SVG template refused: ${problems.map((p) => p.message).join('; ')}`);
  checkTemplate(source);
  const template = hb.compile(withFontFallback(source), { strict: false });
  const render: Render = (data) => template(data ?? {});
  if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
  compiled.set(source, render);
  return render;
}

/** A copy of the data with overlong strings and lists cut, so any record renders in bounded time. */
function bounded(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > MAX_VALUE_LENGTH ? v.slice(0, MAX_VALUE_LENGTH) : v;
  if (typeof v !== 'object' || v === null || depth > 6) return v;
  if (Array.isArray(v)) return v.slice(0, MAX_LIST_LENGTH).map((x) => bounded(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = bounded(x, depth + 1);
  return out;
}

// XML 1.0 forbids most C0 controls, U+FFFE/FFFF and lone surrogates; any one would make the whole file unparseable.
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The SVG text after Handlebars, with the data's values escaped. Throws only for template errors. */
export function renderSvgText(source: string, data: Record<string, unknown>): string {
  let render: Render;
  try {
    render = compileSvg(source);
  } catch (e) {
    // Uploads refuse broken Handlebars; a version stored before that check draws nothing, never a 500.
    if (e instanceof TemplateSyntaxError) return '';
    throw e;
  }
  let out: string;
  try {
    out = render(bounded(data ?? {}) as Record<string, unknown>);
  } catch {
    // The template compiled and its helpers are total, so this is the data's doing:
    // an empty result draws nothing (with a warning) rather than failing the render.
    return '';
  }
  return out.replace(XML_INVALID, '');
}

async function svgSource(layer: SvgLayer, assets: AssetSource): Promise<string> {
  if (typeof layer.svgText === 'string') return layer.svgText;
  return (await assets.read(layer.file)).toString('utf8');
}

/**
 * What an SVG layer draws: the filled-in SVG text. That needs the file, and
 * layerInputs cannot read files; so it comes from layer.svgText (embedded by
 * embedSvgSources when a version is prepared). Without it, the whole data
 * record stands in: still exact (equal records draw equal pixels), only coarser.
 */
export function svgLayerInputs(layer: SvgLayer, data: Record<string, unknown>): { svg: string } | { file: string; data: unknown } {
  if (typeof layer.svgText === 'string') return { svg: renderSvgText(layer.svgText, data) };
  return { file: layer.file, data: bounded(data ?? {}) };
}

/** Copies each SVG layer's file text into layer.svgText, so its inputs are the exact SVG drawn. */
export async function embedSvgSources(layers: readonly { type: string }[], assets: AssetSource): Promise<void> {
  for (const l of layers) {
    if (l.type !== 'svg') continue;
    const layer = l as SvgLayer;
    layer.svgText = (await assets.read(layer.file)).toString('utf8');
  }
}

export async function drawSvgLayer(layer: SvgLayer, data: Record<string, unknown>, ctx: DrawContext): Promise<LayerDrawing> {
  ensureFonts();
  const warnings: string[] = [];
  const { canvas, g, width, height } = layerCanvas(layer);
  const svg = renderSvgText(await svgSource(layer, ctx.assets), data);
  // The template passed the check; a problem now can only have come from the data (an attribute value).
  // What is drawn is the checked tree written out again, never the text as filled in.
  const checked = sanitizeSvg(svg);
  if (!checked.svg) {
    warnings.push('svg not drawn: the filled-in SVG failed the safety check');
    return drawingOf(layer, canvas, warnings);
  }
  let img: Awaited<ReturnType<typeof loadImage>>;
  try {
    img = await loadImage(Buffer.from(checked.svg, 'utf8'));
  } catch {
    warnings.push('svg not drawn: the filled-in SVG does not parse');
    return drawingOf(layer, canvas, warnings);
  }
  if (img.width > 0 && img.height > 0) {
    // Uniform scale into the box, centred: a designer's 1:1 artboard lands exactly.
    const s = Math.min(width / img.width, height / img.height);
    const w = img.width * s;
    const h = img.height * s;
    g.drawImage(img, (width - w) / 2, (height - h) / 2, w, h);
  }
  return drawingOf(layer, canvas, warnings);
}
