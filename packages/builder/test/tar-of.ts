import { encodeTarHeader, type TarWriteHeader, tarPadding, tarTrailer } from '../src/rootfs/tar-writer.js';

/** A tar entry for tests: header fields, a body, and optionally a cut-off point (a truncated layer). */
export type TarOfEntry = Partial<TarWriteHeader> & {
  name: string;
  body?: Buffer | string;
  truncateAt?: number;
};

/** Builds a tar in memory from entries (hostile ones included: the writer does not sanitise names). */
export function tarOf(entries: TarOfEntry[], trailer = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const type = e.type ?? 'file';
    parts.push(
      encodeTarHeader({
        type,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 1_600_000_000,
        ...e,
        size: e.size ?? (type === 'file' ? body.length : 0),
      }),
    );
    if (e.truncateAt !== undefined) {
      parts.push(body.subarray(0, e.truncateAt));
      return Buffer.concat(parts);
    }
    if (type === 'file') parts.push(body, tarPadding(body.length));
  }
  if (trailer) parts.push(tarTrailer());
  return Buffer.concat(parts);
}
