// SVG safety: the file is parsed and walked against an allowlist, and what is
// drawn is the checked tree written out again. These are forms a regex denylist
// misses or misreads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeSvg, validateSvg } from '../src/overlays/svg-sanitize.ts';

const wrap = (s: string) => `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">${s}</svg>`;

test('svg: bypasses of a regex denylist are refused', () => {
  const refused: Array<[string, RegExp]> = [
    ['<SCRIPT>alert(1)</SCRIPT>', /<SCRIPT> is not allowed/],
    ['<x:script xmlns:x="http://www.w3.org/2000/svg">alert(1)</x:script>', /<script> is not allowed/],
    ['<a xlink:href="javascript:alert(1)"><rect/></a>', /external reference xlink:href/],
    ['<a href="&#x6a;avascript:alert(1)"><rect/></a>', /external reference href="javascript:alert\(1\)"/],
    ['<use href="#a"><set attributeName="href" to="javascript:alert(1)"/></use>', /<set> is not allowed/],
    // An entity-encoded attribute name: the regex saw "h&#114;ef", the renderer sees "href".
    ['<use href="#a"><animate attributeName="h&#114;ef" values="https://evil/x.svg"/></use>', /<animate> is not allowed/],
    ['<rect style="background:url(http://evil/x.png)"/>', /url\(http:\/\/evil\/x.png\)/],
    ['<rect style="fill:u\\72l(https://evil/x)"/>', /CSS escapes/],
    ['<style>@\\69mport "https://evil/x.css";</style>', /CSS escapes/],
    ['<style><![CDATA[ rect { fill: url(https://evil/p.svg#x) } ]]></style>', /external reference url/],
    ['<rect fill="url(&#104;ttps://evil/p.svg#x)"/>', /external reference url\(https:/],
    ['<feImage href="https://evil/x.png"/>', /external reference href/],
    ['<iframe src="https://evil"/>', /<iframe> is not allowed/],
    ['<blink/>', /<blink> is not an allowed SVG element/],
    ['<rect onclick="alert(1)"/>', /event handler attribute onclick/],
  ];
  for (const [s, re] of refused) {
    const r = sanitizeSvg(wrap(s));
    assert.equal(r.svg, undefined, s);
    assert.ok(r.problems.some((p) => re.test(p.message)), `${s}: ${JSON.stringify(r.problems)}`);
  }
  for (const s of [
    '<!DOCTYPE svg [<!ENTITY x "&#60;script&#62;">]><svg>&x;</svg>',
    '<!DOCTYPE svg SYSTEM "https://evil/x.dtd"><svg/>',
    '<?xml-stylesheet href="https://evil/x.css"?><svg/>',
    '<svg><rect a="1"b="2"/></svg>', // not XML: what would a renderer make of it?
    '<svg/><svg/>',
  ]) {
    assert.ok(validateSvg(s).length > 0, s);
  }
});

test('svg: only checked markup is written out; text that merely looks dangerous stays text', () => {
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  const src = wrap(
    '<!-- <script>x</script> --><sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"/>' +
      `<g data-name="Layer 1" fill="red"><text x="1">see href="https://x" &lt;script&gt; {{name}}</text><image href="data:image/png;base64,${png}"/></g>`,
  );
  const r = sanitizeSvg(src);
  assert.deepEqual(r.problems, []);
  assert.ok(r.svg);
  assert.doesNotMatch(r.svg, /<!--|sodipodi:namedview|data-name/, 'comments, editor metadata and unknown attributes are dropped');
  assert.match(r.svg, /<g fill="red"><text x="1">see href=&quot;https:\/\/x&quot; &lt;script&gt; \{\{name\}\}<\/text>/);
  assert.match(r.svg, /<image href="data:image\/png;base64,/);
  // What was written out passes the check again unchanged.
  assert.equal(sanitizeSvg(r.svg).svg, r.svg);
});
