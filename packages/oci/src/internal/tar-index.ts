import { open } from 'node:fs/promises';
import { posix } from 'node:path';

/** Where one member's data lives inside a tar file. */
export interface TarMember {
  name: string;
  /** Byte offset of the data (after the header). */
  offset: number;
  size: number;
  /** '0' file, '1' hard link, '2' symlink, '5' directory, … */
  type: string;
  linkname: string;
}

function cstring(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

function parseSize(buf: Buffer): number {
  if (buf[124]! & 0x80) {
    // base-256 (GNU) for sizes >= 8 GiB
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + buf[i]!;
    return n;
  }
  return Number.parseInt(cstring(buf, 124, 12).trim() || '0', 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp === -1) break;
    const len = Number.parseInt(data.toString('utf8', i, sp), 10);
    if (!len) break;
    const rec = data.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Normalizes a member name: no leading `./` or `/`, no trailing slash. */
export function normalizeMemberName(name: string): string {
  return posix
    .normalize(name)
    .replace(/^(\.\/|\/)+/, '')
    .replace(/\/$/, '');
}

/**
 * Reads only the headers of a tar file (seeking over data) and returns its members by name,
 * with ustar prefixes, GNU long names and pax `path`/`linkpath`/`size` applied. Memory is
 * proportional to the number of members, not their size.
 */
export async function indexTar(path: string): Promise<Map<string, TarMember>> {
  const fh = await open(path, 'r');
  const members = new Map<string, TarMember>();
  try {
    const header = Buffer.alloc(512);
    let pos = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: Record<string, string> = {};
    for (;;) {
      const { bytesRead } = await fh.read(header, 0, 512, pos);
      if (bytesRead < 512 || header.every((b) => b === 0)) break;
      const size = parseSize(header);
      const type = String.fromCharCode(header[156] || 0x30);
      const dataOffset = pos + 512;
      pos = dataOffset + Math.ceil(size / 512) * 512;
      if (type === 'L' || type === 'K' || type === 'x') {
        const data = Buffer.alloc(size);
        await fh.read(data, 0, size, dataOffset);
        if (type === 'L') longName = cstring(data, 0, size);
        else if (type === 'K') longLink = cstring(data, 0, size);
        else pax = parsePax(data);
        continue;
      }
      if (type === 'g') continue;
      const magic = header.toString('latin1', 257, 263);
      const prefix = magic.startsWith('ustar') ? cstring(header, 345, 155) : '';
      const rawName = prefix ? `${prefix}/${cstring(header, 0, 100)}` : cstring(header, 0, 100);
      const name = normalizeMemberName(pax.path ?? longName ?? rawName);
      const linkname = pax.linkpath ?? longLink ?? cstring(header, 157, 100);
      const realSize = pax.size !== undefined ? Number(pax.size) : size;
      if (pax.size !== undefined) pos = dataOffset + Math.ceil(realSize / 512) * 512;
      members.set(name, { name, offset: dataOffset, size: realSize, type, linkname });
      longName = undefined;
      longLink = undefined;
      pax = {};
    }
  } finally {
    await fh.close();
  }
  return members;
}

/** Follows hard and symbolic links (as docker save uses for repeated layers) to a regular member. */
export function resolveMember(members: Map<string, TarMember>, name: string): TarMember | undefined {
  let m = members.get(normalizeMemberName(name));
  for (let hops = 0; m && (m.type === '1' || m.type === '2') && hops < 16; hops++) {
    const target = m.type === '2' ? posix.join(posix.dirname(m.name), m.linkname) : m.linkname;
    m = members.get(normalizeMemberName(target));
  }
  return m && (m.type === '0' || m.type === '\0' || m.type === '7') ? m : undefined;
}
