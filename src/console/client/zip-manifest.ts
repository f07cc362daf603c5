// Reads template.json out of the zip the operator chose, in the browser, only to
// name the layers in the problem list ("レイヤー 2「greeting」") — the validator's
// pointers give indexes. Best effort: any surprise gives null and indexes are shown.
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

export async function layerNamesOf(file: Blob): Promise<string[] | null> {
  try {
    const buf = new DataView(await file.arrayBuffer());
    let end = -1;
    for (let i = buf.byteLength - 22; i >= Math.max(0, buf.byteLength - 22 - 65535); i--) {
      if (buf.getUint32(i, true) === EOCD) {
        end = i;
        break;
      }
    }
    if (end < 0) return null;
    const count = buf.getUint16(end + 10, true);
    let at = buf.getUint32(end + 16, true);
    for (let n = 0; n < count; n++) {
      if (buf.getUint32(at, true) !== CENTRAL) return null;
      const method = buf.getUint16(at + 10, true);
      const size = buf.getUint32(at + 20, true);
      const nameLen = buf.getUint16(at + 28, true);
      const extraLen = buf.getUint16(at + 30, true);
      const commentLen = buf.getUint16(at + 32, true);
      const local = buf.getUint32(at + 42, true);
      const name = new TextDecoder().decode(new Uint8Array(buf.buffer, at + 46, nameLen));
      // At the top, or in one top folder (both are accepted by the upload).
      if (/^([^/]+\/)?template\.json$/.test(name)) {
        const start = local + 30 + buf.getUint16(local + 26, true) + buf.getUint16(local + 28, true);
        const raw = new Uint8Array(buf.buffer, start, size);
        const bytes = method === 0 ? raw : method === 8 ? new Uint8Array(await new Response(new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).arrayBuffer()) : null;
        if (!bytes) return null;
        const m = JSON.parse(new TextDecoder().decode(bytes)) as { layers?: Array<{ id?: unknown }> };
        return (m.layers ?? []).map((l) => (typeof l?.id === 'string' ? l.id : ''));
      }
      at += 46 + nameLen + extraLen + commentLen;
    }
    return null;
  } catch {
    return null;
  }
}
