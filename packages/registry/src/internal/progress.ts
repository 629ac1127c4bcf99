import { Transform } from 'node:stream';
import type { BlobSource, PushOptions } from '../push.js';

/** `blob`, whose opened bytes report how much of them was read (`PushOptions.onProgress`). */
export function withProgress(
  blob: BlobSource,
  onProgress: NonNullable<PushOptions['onProgress']>,
): BlobSource {
  const { digest, size } = blob.descriptor;
  return {
    descriptor: blob.descriptor,
    async open() {
      const body = await blob.open();
      if (body instanceof Uint8Array) {
        onProgress({ digest, bytes: body.byteLength, size });
        return body;
      }
      let bytes = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          onProgress({ digest, bytes, size });
          done(null, chunk);
        },
      });
      body.on('error', (error) => counted.destroy(error));
      counted.on('close', () => body.destroy());
      return body.pipe(counted);
    },
  };
}
