import { createCipheriv } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { createGzipPool, layerFromStream } from '@kaniko-ts/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copiedLayerTar } from '../../test/copied-layer-tar.js';
import { type LayerItem, writeLayer } from '../snapshot/layer-writer.js';
import { streamLayer } from './stream-layer.js';

let dir: string;
let items: LayerItem[];
let tar: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stream-layer-'));
  const rnd = createCipheriv('aes-128-ctr', Buffer.alloc(16, 5), Buffer.alloc(16)).update(
    Buffer.alloc(12 << 20),
  );
  Buffer.from('var/lib/dpkg/info/libc6.list\n'.repeat(200_000)).copy(rnd, 0, 0, 5 << 20);
  await writeFile(join(dir, 'big'), rnd);
  await writeFile(join(dir, 'small'), 'hello\n');
  items = ['big', 'small'].map((rel) => ({ kind: 'entry', rel, abs: join(dir, rel) }));
  tar = await copiedLayerTar(items);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('streamLayer with writeLayer (reused read buffers)', () => {
  it.each(['gzip', 'zstd', 'none'] as const)(
    '%s: the same blob as the tar in one piece',
    async (compression) => {
      const pool = compression === 'gzip' ? createGzipPool({ threads: 2 }) : undefined;
      try {
        const opts = { compression, dir, ...(pool ? { gzipPool: pool } : {}) };
        const { result, layer } = await streamLayer(
          (sink) => writeLayer(items, sink, { mtimeEpoch: 0 }),
          opts,
        );
        const plain = await layerFromStream(Readable.from([tar]), opts);
        expect(result.bytes).toBe((12 << 20) + 6);
        expect(layer.descriptor().digest).toBe(plain.descriptor().digest);
        expect(await layer.diffId()).toBe(await plain.diffId());
        if (compression === 'gzip') {
          const chunks: Buffer[] = [];
          for await (const c of await layer.compressed()) chunks.push(c as Buffer);
          expect(zlib.gunzipSync(Buffer.concat(chunks)).equals(tar)).toBe(true);
        }
      } finally {
        await pool?.close();
      }
    },
  );

  it('a layer that fails (no blob directory) fails the write too, without hanging', async () => {
    await expect(
      streamLayer((sink) => writeLayer(items, sink, { mtimeEpoch: 0 }), {
        compression: 'gzip',
        dir: join(dir, 'missing', 'dir'),
      }),
    ).rejects.toThrow();
  });
});
