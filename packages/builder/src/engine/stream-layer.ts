import { PassThrough, type Writable } from 'node:stream';
import { type Layer, type LayerOptions, layerFromStream } from '@kaniko-ts/oci';

/**
 * A layer from a tar that `write` streams into its sink (and ends): hashed (diffID and digest) and
 * compressed while it is written, in one pass, with no tar file in between. A failure on either
 * side stops both: the writer is never left waiting on a pipe nobody reads.
 */
export async function streamLayer<T>(
  write: (sink: Writable) => Promise<T>,
  opts: LayerOptions,
): Promise<{ result: T; layer: Layer }> {
  const pipe = new PassThrough();
  const layer = layerFromStream(pipe, opts);
  layer.catch((e: unknown) => pipe.destroy(e as Error));
  try {
    const result = await write(pipe);
    return { result, layer: await layer };
  } catch (error) {
    pipe.destroy(error as Error);
    await layer.catch(() => undefined);
    throw error;
  }
}
