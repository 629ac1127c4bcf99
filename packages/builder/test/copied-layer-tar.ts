import { Writable } from 'node:stream';
import { type LayerItem, writeLayer } from '../src/snapshot/layer-writer.js';

/**
 * The layer tar of `items` through a plain sink that copies every chunk as it arrives: the reference
 * that tests of the reused read buffers compare against (no release signal involved).
 */
export async function copiedLayerTar(items: LayerItem[]): Promise<Buffer> {
  const copies: Buffer[] = [];
  await writeLayer(
    items,
    new Writable({
      write(b: Buffer, _e, cb) {
        copies.push(Buffer.from(b));
        cb();
      },
    }),
    { mtimeEpoch: 0 },
  );
  return Buffer.concat(copies);
}
