// The SVG safety check: parse the file as XML, walk it against an allowlist of
// elements and attributes, and re-serialise only what was checked. The renderer
// then draws bytes written by us from the checked tree, so no difference between
// how a regex, our parser and the renderer read a tricky file can matter.
// Refused (a problem each): anything that could read files or reach the network
// while rendering (external href/xlink:href, url(…) other than '#id', @import,
// xml-stylesheet), script, foreignObject, event handlers, animation (it could swap
// a checked href), DOCTYPE and entity declarations. Editor metadata in other
// namespaces (sodipodi:, inkscape:) and unknown attributes are dropped, not drawn.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

export interface SvgProblem { message: string }

const words = (s: string) => new Set(s.trim().split(/\s+/));

const ELEMENTS = words(`
  svg g defs symbol use switch a title desc metadata style
  rect circle ellipse line polyline polygon path text tspan textPath image
  linearGradient radialGradient stop pattern clipPath mask marker filter
  feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
  feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR
  feGaussianBlur feImage feMerge feMergeNode feMorphology feOffset fePointLight
  feSpecularLighting feSpotLight feTile feTurbulence`);

// Refused outright, whatever their case or prefix: a renderer or a later viewer could run or fetch them.
const FORBIDDEN = words('script foreignobject set animate animatemotion animatetransform animatecolor discard handler listener iframe embed object');

const ATTRIBUTES = words(`
  id class style transform lang xml:space xml:lang version baseProfile viewBox preserveAspectRatio
  x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height d points pathLength
  fill fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap stroke-linejoin
  stroke-miterlimit stroke-dasharray stroke-dashoffset opacity color display visibility overflow
  clip-path clip-rule clipPathUnits mask maskUnits maskContentUnits filter filterUnits primitiveUnits
  marker-start marker-mid marker-end markerWidth markerHeight markerUnits refX refY orient
  gradientUnits gradientTransform spreadMethod offset stop-color stop-opacity
  patternUnits patternContentUnits patternTransform
  font font-family font-size font-weight font-style font-variant font-stretch font-kerning
  text-anchor dominant-baseline alignment-baseline baseline-shift letter-spacing word-spacing
  text-decoration writing-mode direction unicode-bidi dx dy rotate textLength lengthAdjust
  startOffset method spacing side path
  mix-blend-mode isolation paint-order shape-rendering text-rendering image-rendering
  color-interpolation color-interpolation-filters color-rendering flood-color flood-opacity lighting-color
  in in2 result stdDeviation mode type values operator k1 k2 k3 k4 radius tableValues slope intercept
  amplitude exponent baseFrequency numOctaves seed stitchTiles kernelMatrix order divisor bias
  targetX targetY edgeMode kernelUnitLength preserveAlpha scale xChannelSelector yChannelSelector
  surfaceScale diffuseConstant specularConstant specularExponent azimuth elevation z
  pointsAtX pointsAtY pointsAtZ limitingConeAngle enable-background
  systemLanguage requiredExtensions requiredFeatures`);

// Embedded raster images are fine; an embedded SVG is a second document this check would not see into.
const SAFE_DATA_IMAGE = /^data:image\/(?:png|jpe?g|webp|gif)[;,]/;

const OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Character references are resolved, so every check sees the value the renderer would.
  processEntities: true,
  htmlEntities: true,
  cdataPropName: '#cdata',
  commentPropName: '#comment',
} as const;
const parser = new XMLParser(OPTIONS);
const builder = new XMLBuilder({ ...OPTIONS, suppressEmptyNode: true });

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

function short(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}

const localName = (name: string) => name.slice(name.indexOf(':') + 1);
/** Parsers ignore whitespace and controls inside URLs ("ht tp:"), so the checks do too. */
const squeeze = (s: string) => s.replace(/[\s\u0000-\u001f]+/g, '');

/** Problems in CSS text (a style attribute or a <style> element) or any attribute value that may hold url(…). */
function checkCss(css: string, add: (m: string) => void): void {
  if (/@import/i.test(css)) add('@import is not allowed');
  // CSS escapes ("u\72l(", "@\69mport") would hide a reference from the checks here.
  if (css.includes('\\')) add('CSS escapes (\\) are not allowed');
  for (const m of css.matchAll(/url\s*\(\s*(['"]?)\s*([^)'"]*)/gi)) {
    if (!squeeze(m[2] ?? '').startsWith('#')) add(`external reference url(${short(m[2] ?? '')}) (only url(#id))`);
  }
}

/**
 * Checks an SVG and returns the checked SVG re-serialised (only allowed elements and
 * attributes), or the problems that refuse it. Deliberately strict: a false alarm
 * costs a designer an edit, a miss could read files or reach the network while rendering.
 */
export function sanitizeSvg(svgText: string): { svg?: string; problems: SvgProblem[] } {
  const problems: SvgProblem[] = [];
  const add: Add = (message) => {
    if (!problems.some((p) => p.message === message)) problems.push({ message });
  };
  const text = String(svgText ?? '').replace(/^\uFEFF/, ''); // a byte-order mark some editors write
  // The parser would expand internal entities; none is needed in a design file.
  if (/<!DOCTYPE/i.test(text)) add('a DOCTYPE is not allowed');
  if (/<!ENTITY/i.test(text)) add('entity declarations (<!ENTITY>) are not allowed');
  if (problems.length) return { problems };
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { problems: [{ message: `not well-formed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}` }] };

  const tree = walk(parser.parse(text) as Node[], add);
  const roots = tree.filter((n) => !('#text' in n));
  if (roots.length !== 1 || localName(nodeName(roots[0]!)) !== 'svg') add('the file must hold exactly one root <svg> element');
  if (problems.length) return { problems };
  return { svg: builder.build(roots) as string, problems };
}

/** Records a problem (once per message). */
type Add = (message: string) => void;

const nodeName = (node: Node) => Object.keys(node).find((k) => k !== ':@')!;

/** The checked copy of a parsed tree: allowed elements and attributes only; what is refused goes to `add`. */
function walk(nodes: Node[], add: Add): Node[] {
  const out: Node[] = [];
  for (const node of nodes) {
    const name = nodeName(node);
    if (name === '#text') {
      out.push(node);
      continue;
    }
    if (name === '#cdata') {
      // Kept as plain text, escaped when written: the same characters, no CDATA section to reason about.
      const inner = (node[name] as Node[]).map((n) => String(n['#text'] ?? '')).join('');
      out.push({ '#text': inner });
      continue;
    }
    if (name === '#comment') continue;
    if (name.startsWith('?')) {
      if (name === '?xml-stylesheet') add('external stylesheets (<?xml-stylesheet?>) are not allowed');
      continue; // the XML declaration and other processing instructions are not needed to draw
    }
    if (!elementAllowed(name, add)) continue;
    const attrs = keptAttributes(node[':@'] ?? {}, add);
    const children = node[name] as Node[];
    if (localName(name) === 'style') checkStyleElement(children, add);
    const kept: Node = { [name]: walk(children, add) };
    if (Object.keys(attrs).length) kept[':@'] = attrs;
    out.push(kept);
  }
  return out;
}

/** False for an element that is not drawn: refused ones are also reported, editor metadata is not. */
function elementAllowed(name: string, add: Add): boolean {
  const local = localName(name);
  if (FORBIDDEN.has(local.toLowerCase())) {
    add(`<${local}> is not allowed`);
    return false;
  }
  if (!ELEMENTS.has(local)) {
    // Editor metadata in its own namespace: not drawn.
    if (!name.includes(':')) add(`<${name}> is not an allowed SVG element`);
    return false;
  }
  return true;
}

/** The attributes kept on an allowed element; event handlers and external references are reported. */
function keptAttributes(raw: Record<string, string>, add: Add): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const [attr, v] of Object.entries(raw)) {
    const value = String(v);
    const attrLocal = localName(attr).toLowerCase();
    if (attrLocal.startsWith('on')) {
      add(`event handler attribute ${attr} is not allowed`);
      continue;
    }
    if (attrLocal === 'href') {
      const target = squeeze(value);
      if (!(target.startsWith('#') || SAFE_DATA_IMAGE.test(target.toLowerCase()))) {
        add(`external reference ${attr}="${short(value)}" (only "#id" or a data:image/png|jpeg|webp|gif URL)`);
      } else attrs[attr] = value;
      continue;
    }
    if (attr === 'xmlns' || attr.startsWith('xmlns:')) {
      attrs[attr] = value; // needed to read prefixed names (xlink:href); never fetched
      continue;
    }
    checkCss(value, add); // url(…) may appear in any presentation attribute, not only style
    if (ATTRIBUTES.has(attr)) attrs[attr] = value;
  }
  return attrs;
}

/** A <style> element's CSS is checked like a style attribute, and it may hold nothing else. */
function checkStyleElement(children: Node[], add: Add): void {
  const css = children.map((c) => String(c['#text'] ?? (c['#cdata'] as Node[] | undefined)?.map((n) => n['#text']).join('') ?? '')).join('');
  checkCss(css, add);
  if (children.some((c) => !('#text' in c) && !('#cdata' in c) && !('#comment' in c))) add('<style> may hold only CSS text');
}

/** Reasons this SVG may not be drawn (empty when it is safe); see sanitizeSvg. */
export function validateSvg(svgText: string): SvgProblem[] {
  const problems = sanitizeSvg(svgText).problems;
  // Handlebars, not XML: {{{…}}} and {{& …}} would insert data without escaping.
  if (/\{\{\{|\{\{~?\s*&/.test(String(svgText ?? ''))) problems.push({ message: '{{{…}}} inserts data without escaping; use {{…}}' });
  return problems;
}
