import type { TarEntryType } from './tar-reader.js';

/** What the writer needs to encode one header (bodies are written by the caller after it). */
export interface TarWriteHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Whole seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: ReadonlyMap<string, Buffer>;
}

const BLOCK = 512;
const FLAGS: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'char-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

function octal(buf: Buffer, offset: number, len: number, value: number): boolean {
  const text = value.toString(8);
  if (text.length > len - 1) return false;
  buf.write(text.padStart(len - 1, '0'), offset, 'latin1');
  buf[offset + len - 1] = 0;
  return true;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

const isPlainAscii = (text: string, max: number): boolean =>
  text.length <= max && /^[\x20-\x7e]*$/.test(text);

function ustar(h: TarWriteHeader, name: string, linkname: string, flag: string, size: number): Buffer {
  const buf = Buffer.alloc(BLOCK);
  buf.write(name, 0, 100, 'utf8');
  octal(buf, 100, 8, h.mode & 0o7777);
  octal(buf, 108, 8, Math.min(h.uid, 0o7777777));
  octal(buf, 116, 8, Math.min(h.gid, 0o7777777));
  octal(buf, 124, 12, Math.min(size, 0o77777777777));
  octal(buf, 136, 12, Math.max(0, Math.min(Math.floor(h.mtime), 0o77777777777)));
  buf.write('        ', 148, 'latin1');
  buf.write(flag, 156, 'latin1');
  buf.write(linkname, 157, 100, 'utf8');
  buf.write('ustar\0', 257, 'latin1');
  buf.write('00', 263, 'latin1');
  octal(buf, 329, 8, h.devmajor ?? 0);
  octal(buf, 337, 8, h.devminor ?? 0);
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return buf;
}

/**
 * Encodes the header block(s) of one entry: a PAX extended header when the name or link target is
 * long or not plain ASCII, when ids or size overflow ustar, or when xattrs are present (values
 * written as raw bytes, as Go's archive/tar and GNU tar do), followed by the ustar header.
 * Directory names get a trailing slash.
 */
export function encodeTarHeader(h: TarWriteHeader): Buffer {
  const name = h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const linkname = h.linkname ?? '';
  const size = h.type === 'file' ? h.size : 0;
  const records: Buffer[] = [];
  let shortName = name;
  let shortLink = linkname;
  if (!isPlainAscii(name, 100)) {
    records.push(paxRecord('path', Buffer.from(name, 'utf8')));
    shortName = name.replace(/[^\x20-\x7e]/g, '_').slice(-99);
  }
  if (!isPlainAscii(linkname, 100)) {
    records.push(paxRecord('linkpath', Buffer.from(linkname, 'utf8')));
    shortLink = linkname.replace(/[^\x20-\x7e]/g, '_').slice(0, 99);
  }
  if (h.uid > 0o7777777) records.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (h.gid > 0o7777777) records.push(paxRecord('gid', Buffer.from(String(h.gid))));
  if (size > 0o77777777777) records.push(paxRecord('size', Buffer.from(String(size))));
  for (const [key, value] of [...(h.xattrs ?? new Map<string, Buffer>())].sort(([a], [b]) =>
    a < b ? -1 : 1,
  )) {
    records.push(paxRecord(`SCHILY.xattr.${key}`, value));
  }
  const main = ustar(h, shortName, shortLink, FLAGS[h.type], size);
  if (records.length === 0) return main;
  const data = Buffer.concat(records);
  const paxHeader = ustar(
    { ...h, mode: 0o644, uid: 0, gid: 0 },
    `PaxHeaders/${shortName}`.slice(0, 99),
    '',
    'x',
    data.length,
  );
  return Buffer.concat([paxHeader, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK), main]);
}

/** Zero padding after a body of `size` bytes. */
export const tarPadding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** The end-of-archive marker: two zero blocks. */
export const tarTrailer = (): Buffer => Buffer.alloc(BLOCK * 2);
