import { Readable } from 'node:stream';

/** Reads a whole (small) stream into memory. Only for manifests/configs, never for layers. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  const buf = Buffer.concat(chunks);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Counts the bytes of a stream without keeping them. */
export async function countBytes(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Buffer).byteLength;
  return n;
}

/** A readable over in-memory bytes, in chunks of at most 64 KiB. */
export function bytesStream(bytes: Uint8Array): Readable {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  function* chunks() {
    for (let i = 0; i < buf.byteLength; i += 65536) yield buf.subarray(i, i + 65536);
  }
  return Readable.from(chunks(), { objectMode: false });
}
