// A tiny zip writer for tests, able to write what honest tools never would
// (`..` names, lying sizes, shared data, encryption flags); yazl refuses those.
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string | Buffer; // a Buffer is written as is (e.g. Shift_JIS bytes)
  data?: Buffer;
  store?: boolean; // method 0 instead of deflate
  unixMode?: number; // goes into externalFileAttributes >> 16
  flags?: number; // extra general purpose bits (1: encrypted)
  utf8?: boolean; // default true for string names
  lieSize?: number; // uncompressed size written in the headers
  sameDataAs?: number; // index of an earlier entry whose local header this one reuses (overlap bomb)
}

export function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  const offsets: number[] = [];
  const sizes: Array<{ crc: number; comp: number; size: number; method: number }> = [];
  let offset = 0;
  entries.forEach((e) => {
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name;
    const data = e.data ?? Buffer.alloc(0);
    const method = e.store ? 0 : 8;
    const comp = method === 8 ? deflateRawSync(data) : data;
    const flags = (e.flags ?? 0) | ((e.utf8 ?? typeof e.name === 'string') ? 0x800 : 0);
    const info = { crc: crc32(data), comp: comp.length, size: e.lieSize ?? data.length, method };
    let at = offset;
    if (e.sameDataAs !== undefined) {
      at = offsets[e.sameDataAs]!;
      Object.assign(info, sizes[e.sameDataAs]!);
    } else {
      const h = Buffer.alloc(30);
      h.writeUInt32LE(0x04034b50, 0);
      h.writeUInt16LE(20, 4);
      h.writeUInt16LE(flags, 6);
      h.writeUInt16LE(method, 8);
      h.writeUInt32LE(info.crc, 14);
      h.writeUInt32LE(info.comp, 18);
      h.writeUInt32LE(info.size, 22);
      h.writeUInt16LE(name.length, 26);
      locals.push(h, name, comp);
      offset += 30 + name.length + comp.length;
    }
    offsets.push(at);
    sizes.push(info);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(flags, 8);
    c.writeUInt16LE(info.method, 10);
    c.writeUInt32LE(info.crc, 16);
    c.writeUInt32LE(info.comp, 20);
    c.writeUInt32LE(info.size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(((e.unixMode ?? 0o100644) << 16) >>> 0, 38);
    c.writeUInt32LE(at, 42);
    central.push(c, name);
  });
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
