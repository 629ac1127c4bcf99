/** Random-access source of bytes (a buffer or an open file). */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bufferSource(data: Uint8Array): ByteSource {
  return {
    size: data.length,
    read: async (offset, length) => data.subarray(offset, Math.min(data.length, offset + length)),
  };
}

const MAX_SECTION = 64 * 1024 * 1024;

/** True when the bytes start with the ELF magic. */
export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/**
 * Reads the named sections of an ELF file (32/64-bit, either byte order). Returns an empty map when
 * the input is not ELF or has no section headers; malformed tables yield what could be read.
 */
export async function readElfSections(
  src: ByteSource,
  names: readonly string[],
): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  const ident = await src.read(0, 64);
  if (!isElf(ident) || ident.length < 52) return found;
  const is64 = ident[4] === 2;
  const le = ident[5] === 1;
  const dv = new DataView(ident.buffer, ident.byteOffset, ident.byteLength);
  const u16 = (v: DataView, o: number) => v.getUint16(o, le);
  const u32 = (v: DataView, o: number) => v.getUint32(o, le);
  const word = (v: DataView, o: number) => (is64 ? Number(v.getBigUint64(o, le)) : v.getUint32(o, le));
  if (is64 && ident.length < 64) return found;
  const shoff = word(dv, is64 ? 0x28 : 0x20);
  const shentsize = u16(dv, is64 ? 0x3a : 0x2e);
  const shnum = u16(dv, is64 ? 0x3c : 0x30);
  const shstrndx = u16(dv, is64 ? 0x3e : 0x32);
  if (!shoff || !shnum || shentsize < (is64 ? 64 : 40) || shoff + shnum * shentsize > src.size) return found;
  const table = await src.read(shoff, shnum * shentsize);
  const tv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const section = (i: number) => {
    const base = i * shentsize;
    return {
      name: u32(tv, base),
      type: u32(tv, base + 4),
      offset: word(tv, base + (is64 ? 0x18 : 0x10)),
      size: word(tv, base + (is64 ? 0x20 : 0x14)),
    };
  };
  if (shstrndx >= shnum) return found;
  const strtab = section(shstrndx);
  if (strtab.offset + strtab.size > src.size || strtab.size > MAX_SECTION) return found;
  const strings = await src.read(strtab.offset, strtab.size);
  const wanted = new Set(names);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    let end = s.name;
    while (end < strings.length && strings[end] !== 0) end++;
    const name = Buffer.from(strings.subarray(s.name, end)).toString('latin1');
    if (!wanted.has(name) || found.has(name)) continue;
    // SHT_NOBITS (8) has no file content.
    if (s.type === 8 || s.size > MAX_SECTION || s.offset + s.size > src.size) continue;
    found.set(name, await src.read(s.offset, s.size));
  }
  return found;
}
