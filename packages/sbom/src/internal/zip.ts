import { inflateRawSync } from 'node:zlib';

/** One entry of a zip central directory. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Lists the central directory of a zip archive held in memory; undefined when it is not a zip. */
export function zipEntries(buf: Uint8Array): ZipEntry[] | undefined {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  let count = dv.getUint16(eocd + 10, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (
    (count === 0xffff || cdOffset === 0xffffffff) &&
    eocd >= 20 &&
    dv.getUint32(eocd - 20, true) === ZIP64_LOCATOR
  ) {
    const z = Number(dv.getBigUint64(eocd - 12, true));
    if (z + 56 <= buf.length && dv.getUint32(z, true) === ZIP64_EOCD) {
      count = Number(dv.getBigUint64(z + 32, true));
      cdOffset = Number(dv.getBigUint64(z + 48, true));
    }
  }
  const out: ZipEntry[] = [];
  let at = cdOffset;
  for (let n = 0; n < count && at + 46 <= buf.length; n++) {
    if (dv.getUint32(at, true) !== CENTRAL) return out;
    const method = dv.getUint16(at + 10, true);
    let compressedSize = dv.getUint32(at + 20, true);
    let size = dv.getUint32(at + 24, true);
    const nameLen = dv.getUint16(at + 28, true);
    const extraLen = dv.getUint16(at + 30, true);
    const commentLen = dv.getUint16(at + 32, true);
    let localHeaderOffset = dv.getUint32(at + 42, true);
    const name = Buffer.from(buf.subarray(at + 46, at + 46 + nameLen)).toString('utf8');
    // zip64 extra field (0x0001) carries the 64-bit values that are 0xffffffff above.
    let e = at + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd && e + 4 <= buf.length) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 1) {
        let p = e + 4;
        const end = e + 4 + len;
        if (size === 0xffffffff && p + 8 <= end) {
          size = Number(dv.getBigUint64(p, true));
          p += 8;
        }
        if (compressedSize === 0xffffffff && p + 8 <= end) {
          compressedSize = Number(dv.getBigUint64(p, true));
          p += 8;
        }
        if (localHeaderOffset === 0xffffffff && p + 8 <= end)
          localHeaderOffset = Number(dv.getBigUint64(p, true));
      }
      e += 4 + len;
    }
    out.push({ name, method, compressedSize, size, localHeaderOffset });
    at = extraEnd + commentLen;
  }
  return out;
}

/** Bytes of one entry (stored or deflated); undefined for other methods or a corrupt header. */
export function zipRead(
  buf: Uint8Array,
  entry: ZipEntry,
  maxSize = 512 * 1024 * 1024,
): Uint8Array | undefined {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > buf.length || dv.getUint32(at, true) !== LOCAL) return undefined;
  const start = at + 30 + dv.getUint16(at + 26, true) + dv.getUint16(at + 28, true);
  const raw = buf.subarray(start, start + entry.compressedSize);
  if (entry.size > maxSize) return undefined;
  if (entry.method === 0) return raw;
  if (entry.method === 8) {
    try {
      return inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
    } catch {
      return undefined;
    }
  }
  return undefined;
}
