import zlib from 'node:zlib';
import { chunkProcessing } from './chunk-processing.js';

/**
 * Raw-deflates `input` in one call on libuv's thread pool (the main thread only starts it), writing
 * into `output` from offset 0 with exactly `output.byteLength` bytes of output space: resolves to a
 * view of `output`, or to a fresh buffer if the result did not fit. Nothing is allocated per call
 * but zlib's own state (freed when it resolves), so a stream of blocks leaves no garbage buffers
 * behind. `input` must not change until the promise settles.
 *
 * Node has no public call for "deflate into this buffer, asynchronously": this drives a zlib stream's
 * `_processChunk` with its output buffer set to `output` (its chunk size being the buffer's size).
 * If those internals are not there, it falls back to `zlib.deflateRaw` and a copy into `output`.
 */
export function deflateInto(
  input: Buffer,
  options: zlib.ZlibOptions,
  flush: number,
  output: Buffer,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const stream = zlib.createDeflateRaw({ ...options, chunkSize: 64 });
    const d = chunkProcessing(stream);
    if (d === undefined) {
      stream.close();
      zlib.deflateRaw(input, { ...options, finishFlush: flush, chunkSize: output.byteLength }, (e, r) => {
        if (e) reject(e);
        else if (r.byteLength > output.byteLength) resolve(r);
        else {
          output.set(r);
          resolve(output.subarray(0, r.byteLength));
        }
      });
      return;
    }
    const chunks: Buffer[] = [];
    d._outBuffer = output;
    d._outOffset = 0;
    d._chunkSize = output.byteLength;
    // the stream hands each piece of output to push(); nothing reads the stream itself
    d.push = (chunk) => {
      if (chunk) chunks.push(chunk);
      return true;
    };
    d.once('error', reject);
    d._processChunk(input, flush, () => {
      if (d.destroyed) {
        // a zlib error destroyed the stream ('error' rejects); otherwise say so once it is closed
        d.once('close', () => reject(new Error('deflate stream closed before its output')));
        return;
      }
      d.close();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
  });
}
