import type { Readable } from 'node:stream';
import { BuilderError } from '../builder-error.js';

/** Entry types a layer tar may carry. */
export type TarEntryType =
  | 'file'
  | 'hardlink'
  | 'symlink'
  | 'char-device'
  | 'block-device'
  | 'directory'
  | 'fifo';

/** One header of a tar stream, with PAX and GNU long-name records already applied. */
export interface TarHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch, fractional when a PAX `mtime` record carried it. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.<name>` records, values as raw bytes. */
  xattrs: Map<string, Buffer>;
}

/**
 * A tar entry; its body must be fully consumed (or left alone, and then skipped) before asking for
 * the next entry.
 */
export interface TarEntry {
  header: TarHeader;
  /** The body as it streams in (for large files). */
  body(): AsyncGenerator<Buffer>;
  /** The whole body as one buffer, a view of the stream's chunk where it lies in one (small files). */
  readAll(): Promise<Buffer>;
}

const BLOCK = 512;

const EMPTY = Buffer.alloc(0);

/** The archive ended inside `what` (a header, a record, an entry's body). */
const endOfData = (what: string): BuilderError =>
  new BuilderError('INVALID_LAYER', `reading tar: unexpected end of data in ${what}`, { entry: what });

/**
 * Reads exact byte counts from an async chunk source without buffering more than one chunk: a read
 * that spans chunks copies just the bytes it needs, never a whole chunk.
 */
class ByteReader {
  private buffered: Buffer = EMPTY;
  private readonly it: AsyncIterator<Buffer | string>;
  private ended = false;
  consumed = 0;

  constructor(source: AsyncIterable<Buffer | string>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** The next chunk of the source, or null at its end. */
  private async nextChunk(): Promise<Buffer | null> {
    if (this.ended) return null;
    const next = await this.it.next();
    if (next.done) {
      this.ended = true;
      return null;
    }
    return typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
  }

  /**
   * Reads the source to its end, discarding: what follows the end-of-archive blocks (record
   * padding, the compression trailer) must still pass through a verifying source, or a blob whose
   * digest does not match would never be found out.
   */
  async drain(): Promise<void> {
    this.buffered = EMPTY;
    while ((await this.nextChunk()) !== null) {
      // discard
    }
  }

  /** Stops reading: the source is told (a stream is destroyed, a generator finishes). */
  async close(): Promise<void> {
    this.ended = true;
    this.buffered = EMPTY;
    await this.it.return?.();
  }

  /** Exactly `n` (> 0) bytes; the stream ending first is INVALID_LAYER. */
  async readExactly(n: number, what: string): Promise<Buffer> {
    const out = await this.read(n, what);
    if (out === null) throw endOfData(what);
    return out;
  }

  /** Exactly `n` bytes, or null at a clean end of stream (no byte available). */
  async read(n: number, what: string): Promise<Buffer | null> {
    if (this.buffered.length >= n) {
      const out = this.buffered.subarray(0, n);
      this.buffered = this.buffered.subarray(n);
      this.consumed += n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let have = this.buffered.copy(out, 0);
    this.buffered = EMPTY;
    while (have < n) {
      const chunk = await this.nextChunk();
      if (chunk === null) {
        if (have === 0) return null;
        throw endOfData(what);
      }
      const take = Math.min(n - have, chunk.length);
      chunk.copy(out, have, 0, take);
      have += take;
      this.buffered = chunk.subarray(take);
    }
    this.consumed += n;
    return out;
  }

  /** Yields exactly `n` bytes as chunks (never more than what the source streamed). */
  async *stream(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buffered.length === 0) {
        const chunk = await this.nextChunk();
        if (chunk === null) {
          throw endOfData(what);
        }
        this.buffered = chunk;
        continue;
      }
      const take = Math.min(left, this.buffered.length);
      const out = this.buffered.subarray(0, take);
      this.buffered = this.buffered.subarray(take);
      this.consumed += take;
      left -= take;
      yield out;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.stream(n, what)) {
      // discard
    }
  }
}

function cstring(buf: Buffer, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return (nul === -1 ? slice : slice.subarray(0, nul)).toString('utf8');
}

function numeric(buf: Buffer, start: number, len: number, field: string): number {
  const slice = buf.subarray(start, start + len);
  const first = slice[0] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as marker
    if (first === 0xff) throw new BuilderError('INVALID_LAYER', `reading tar: negative ${field}`);
    let value = BigInt(first & 0x7f);
    for (let i = 1; i < slice.length; i++) value = (value << 8n) | BigInt(slice[i] ?? 0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new BuilderError('INVALID_LAYER', `reading tar: ${field} ${value} is too large`);
    }
    return Number(value);
  }
  const text = slice.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text))
    throw new BuilderError('INVALID_LAYER', `reading tar: bad octal ${field} "${text}"`);
  return Number.parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = numeric(block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
  return sum === stored;
}

/** Parses PAX records keeping values as raw bytes (xattr values are binary). */
function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number.parseInt(buf.subarray(pos, space).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > buf.length) {
      throw new BuilderError('INVALID_LAYER', 'reading tar: malformed pax record');
    }
    const record = buf.subarray(space + 1, pos + len - 1); // drop trailing newline
    const eq = record.indexOf(0x3d);
    if (eq === -1) throw new BuilderError('INVALID_LAYER', 'reading tar: malformed pax record');
    out.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType | undefined> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
};

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

/**
 * Streams the entries of an uncompressed tar. Sizes are taken from the headers and bodies are
 * yielded as they arrive: a header claiming more than the stream holds fails with INVALID_LAYER
 * naming the entry, never allocates the claimed size. After the last entry the source is read to
 * its end (a verifying source then checks its digest); a consumer that stops early stops the source.
 */
export async function* readTar(source: Readable | AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source as AsyncIterable<Buffer>);
  let complete = false;
  try {
    yield* tarEntries(reader);
    complete = true;
  } finally {
    // read to the end after the archive, so a verifying source checks everything; else stop it
    if (complete) await reader.drain();
    else await reader.close();
  }
}

async function* tarEntries(reader: ByteReader): AsyncGenerator<TarEntry> {
  let pax: Map<string, Buffer> | undefined;
  let globalPax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = await reader.read(BLOCK, 'tar header');
    if (block === null) return; // tolerate missing end-of-archive blocks
    if (block[0] === 0 && block.every((b) => b === 0)) return;
    if (!checksumOk(block)) {
      throw new BuilderError(
        'INVALID_LAYER',
        `reading tar: header checksum mismatch at offset ${reader.consumed - BLOCK}`,
      );
    }
    const flag = String.fromCharCode(block[156] ?? 0);
    const magic = block.subarray(257, 263).toString('latin1');
    let name = cstring(block, 0, 100);
    if (magic === 'ustar\0') {
      const prefix = cstring(block, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const size = numeric(block, 124, 12, `size of ${name}`);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > 16 * 1024 * 1024) {
        throw new BuilderError(
          'LAYER_TOO_LARGE',
          `reading tar: metadata record of ${size} bytes before ${name}`,
          {
            entry: name,
          },
        );
      }
      const data = size ? await reader.readExactly(size, name) : EMPTY;
      await reader.read(padding(size), name);
      if (flag === 'x') pax = new Map([...globalPax, ...parsePax(data)]);
      else if (flag === 'g') globalPax = parsePax(data);
      else if (flag === 'L') longName = cstring(data, 0, data.length);
      else longLink = cstring(data, 0, data.length);
      continue;
    }
    const records = pax ?? globalPax;
    const str = (key: string): string | undefined => records.get(key)?.toString('utf8');
    const paxName = str('path');
    const headerName = paxName ?? longName ?? name;
    const type = TYPES[flag];
    if (!type) {
      throw new BuilderError(
        'INVALID_LAYER',
        `reading tar: entry ${headerName} has unsupported type "${flag}"`,
        {
          entry: headerName,
        },
      );
    }
    const xattrs = new Map<string, Buffer>();
    for (const [key, value] of records) {
      if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
    }
    const paxNum = (key: string, fallback: number): number => {
      const text = str(key);
      if (text === undefined) return fallback;
      const value = Number(text);
      if (!Number.isFinite(value) || value < 0) {
        throw new BuilderError('INVALID_LAYER', `reading tar: bad pax ${key} of ${headerName}`, {
          entry: headerName,
        });
      }
      return value;
    };
    const header: TarHeader = {
      name: headerName,
      type,
      mode: numeric(block, 100, 8, 'mode') & 0o7777,
      uid: paxNum('uid', numeric(block, 108, 8, 'uid')),
      gid: paxNum('gid', numeric(block, 116, 8, 'gid')),
      size: paxNum('size', size),
      mtime: paxNum('mtime', numeric(block, 136, 12, 'mtime')),
      linkname: str('linkpath') ?? longLink ?? cstring(block, 157, 100),
      devmajor: numeric(block, 329, 8, 'devmajor'),
      devminor: numeric(block, 337, 8, 'devminor'),
      xattrs,
    };
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    // like Go's archive/tar: only regular files carry data, whatever other headers claim
    const dataSize = type === 'file' ? header.size : 0;
    let left = dataSize;
    const body = async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of reader.stream(left, header.name)) {
        left -= chunk.length;
        yield chunk;
      }
    };
    const readAll = async (): Promise<Buffer> => {
      if (left === 0) return EMPTY;
      const all = await reader.readExactly(left, header.name);
      left = 0;
      return all;
    };
    yield { header, body, readAll };
    if (left > 0) await reader.skip(left, header.name);
    await reader.skip(padding(dataSize), header.name);
  }
}
