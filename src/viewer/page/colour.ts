/**
 * The server turns overlay RGB into video with BT.601 (ffmpeg's default) and the stream is
 * untagged, which browsers show as BT.709: the stitched stream's overlay colours are shifted
 * by that round trip. The same shift here, once per image, so both composites look alike.
 */
export function asEncoded(img: HTMLImageElement): HTMLCanvasElement {
  const c = document.createElement('canvas');
  const g = c.getContext('2d');
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  // Without a 2D context the composite cannot draw: the caller plays the stitched stream.
  if (!g) throw new Error('no 2d canvas');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height);
  const px = d.data;
  for (let i = 0; i < px.length; i += 4) {
    if (!px[i + 3]) continue;
    const r = px[i]! / 255, gr = px[i + 1]! / 255, b = px[i + 2]! / 255;
    const y = 0.299 * r + 0.587 * gr + 0.114 * b, pb = (b - y) / 1.772, pr = (r - y) / 1.402;
    px[i] = 255 * (y + 1.5748 * pr);
    px[i + 1] = 255 * (y - 0.1873 * pb - 0.4681 * pr);
    px[i + 2] = 255 * (y + 1.8556 * pb);
  }
  g.putImageData(d, 0, 0);
  return c;
}
