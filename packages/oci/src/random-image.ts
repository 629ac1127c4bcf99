import { emptyImage } from './empty.js';
import type { Image } from './image.js';
import { loadTarStream } from './internal/load-tar-stream.js';
import { readAll } from './internal/streams.js';
import type { Layer } from './layer.js';
import { layerFromBytes } from './layer-from-stream.js';
import type { Compression } from './media-types.js';
import { appendLayers } from './mutate.js';
import type { Platform } from './platform.js';

/** Options of `randomImage`. */
export interface RandomImageOptions {
  /** Number of layers (default 2). */
  layers?: number;
  /** Bytes of file content per layer (default 1024). */
  sizePerLayer?: number;
  /** Same seed, same image digest (default 1). */
  seed?: number;
  compression?: Compression;
  platform?: Platform;
}

/** xorshift32: a tiny deterministic generator for test content (not for anything secret). */
function generator(seed: number): (n: number) => Buffer {
  let x = seed >>> 0 || 0x9e3779b9;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** A tar with one regular file of `size` pseudo-random bytes, fixed times and owners. */
export async function randomLayerTar(seed: number, index: number, size: number): Promise<Uint8Array> {
  const pack = (await loadTarStream()).pack();
  const data = generator(seed * 7919 + index)(size);
  const done = readAll(pack);
  pack.entry({ name: `random/`, type: 'directory', mode: 0o755, mtime: new Date(0), uid: 0, gid: 0 });
  pack.entry(
    { name: `random/layer-${index}.bin`, size, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 },
    data,
  );
  pack.finalize();
  return done;
}

/**
 * A deterministic image for tests: `layers` layers, each a tar with one file of `sizePerLayer`
 * pseudo-random bytes, with history entries and a fixed epoch-0 `created`.
 */
export async function randomImage(opts: RandomImageOptions = {}): Promise<Image> {
  const n = opts.layers ?? 2;
  const size = opts.sizePerLayer ?? 1024;
  const seed = opts.seed ?? 1;
  const layers: Layer[] = [];
  for (let i = 0; i < n; i++) {
    layers.push(
      await layerFromBytes(await randomLayerTar(seed, i, size), { compression: opts.compression ?? 'gzip' }),
    );
  }
  const base = emptyImage({ platform: opts.platform ?? { os: 'linux', architecture: 'amd64' } });
  return appendLayers(
    base,
    layers.map((layer, i) => ({
      layer,
      history: { created: '1970-01-01T00:00:00Z', created_by: `random layer ${i} (seed ${seed})` },
    })),
  );
}
