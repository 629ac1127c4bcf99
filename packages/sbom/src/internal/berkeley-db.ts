/**
 * Reads the values of a Berkeley DB hash database (the format of rpm's legacy `Packages` file):
 * every key/data pair on hash pages, following overflow chains for big items. No locking, no
 * environment, read-only; both byte orders.
 */
const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HEADER = 26;

export class BerkeleyDbFormatError extends Error {}

export function isBerkeleyHashDb(data: Uint8Array): boolean {
  if (data.length < 512) return false;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return dv.getUint32(12, true) === HASH_MAGIC || dv.getUint32(12, false) === HASH_MAGIC;
}

/** Every data item stored in the hash database, in page order. */
export function berkeleyHashValues(data: Uint8Array): Uint8Array[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let le = true;
  if (dv.getUint32(12, true) !== HASH_MAGIC) {
    if (dv.getUint32(12, false) !== HASH_MAGIC)
      throw new BerkeleyDbFormatError('not a Berkeley DB hash database');
    le = false;
  }
  const pageSize = dv.getUint32(20, le);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new BerkeleyDbFormatError(`bad page size ${pageSize}`);
  }
  const encrypted = data[24] !== 0;
  if (encrypted) throw new BerkeleyDbFormatError('encrypted database');
  const pages = Math.floor(data.length / pageSize);
  const page = (n: number) => n * pageSize;
  const overflow = (first: number, total: number): Uint8Array => {
    const out = new Uint8Array(total);
    let at = 0;
    let pgno = first;
    const seen = new Set<number>();
    while (pgno !== 0 && at < total) {
      if (pgno >= pages || seen.has(pgno))
        throw new BerkeleyDbFormatError(`bad overflow chain at page ${pgno}`);
      seen.add(pgno);
      const base = page(pgno);
      if (data[base + 25] !== P_OVERFLOW)
        throw new BerkeleyDbFormatError(`page ${pgno} is not an overflow page`);
      const used = Math.min(dv.getUint16(base + 22, le), pageSize - PAGE_HEADER, total - at);
      out.set(data.subarray(base + PAGE_HEADER, base + PAGE_HEADER + used), at);
      at += used;
      pgno = dv.getUint32(base + 16, le);
    }
    return out;
  };
  const values: Uint8Array[] = [];
  for (let n = 1; n < pages; n++) {
    const base = page(n);
    const type = data[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = dv.getUint16(base + 20, le);
    for (let i = 1; i < entries; i += 2) {
      const offset = dv.getUint16(base + PAGE_HEADER + i * 2, le);
      const end = dv.getUint16(base + PAGE_HEADER + (i - 1) * 2, le);
      if (offset >= pageSize || end > pageSize || end <= offset) continue;
      const item = base + offset;
      if (data[item] === H_KEYDATA) values.push(data.subarray(item + 1, base + end));
      else if (data[item] === H_OFFPAGE)
        values.push(overflow(dv.getUint32(item + 4, le), dv.getUint32(item + 8, le)));
    }
  }
  return values;
}
