/**
 * Parallel (pigz-style) gzip layers read by independent decoders: GNU gzip, pigz, Go's compress/gzip
 * inside skopeo (which must decompress to recompress) and umoci (which unpacks the files). A missing
 * tool is installed through the test harness (Debian packages); if that fails the test fails.
 */
import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTools, findExecutable } from '../../../test/harness/ensure-tools.js';
import {
  appendLayers,
  emptyImage,
  type Layer,
  layerFromFile,
  readLayout,
  validateImage,
  writeLayout,
} from '../src/index.js';

const run = promisify(execFile);
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Files of a layer: text-like (compressible) and keystream (incompressible), several MiB. */
function files(): Record<string, Buffer> {
  const key = createHash('sha256').update('interop').digest().subarray(0, 16);
  const random = (n: number) => createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
  const text = (n: number) => {
    const line = 'usr/lib/x86_64-linux-gnu/libexample.so.1 -> libexample.so.1.2.3\n';
    return Buffer.from(line.repeat(Math.ceil(n / line.length)).slice(0, n));
  };
  return {
    'usr/share/doc/big.txt': text(3 * 1024 * 1024 + 17),
    'usr/lib/blob.bin': random(2 * 1024 * 1024 + 5),
    'etc/config.txt': text(1024 * 1024),
  };
}

async function tarOf(entries: Record<string, Buffer>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const [name, content] of Object.entries(entries))
    pack.entry({ name, mtime: new Date(0), mode: 0o644 }, content);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function tool(name: string, args: string[]): Promise<Buffer> {
  try {
    const { stdout } = await run(name, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: Buffer };
    throw new Error(`${name} ${args.join(' ')} failed: ${err.stderr?.toString() || err.message}`);
  }
}

let root: string;
let tar: Buffer;
let layer: Layer;
let blob: string;

beforeAll(async () => {
  await ensureTools({
    tools: [
      { tool: 'pigz', pkg: 'pigz', present: () => findExecutable('pigz') !== undefined },
      { tool: 'gzip', pkg: 'gzip', present: () => findExecutable('gzip') !== undefined },
    ],
  });
  root = await mkdtemp(join(tmpdir(), 'oci-pgzip-'));
  tar = await tarOf(files());
  const tarPath = join(root, 'layer.tar');
  await writeFile(tarPath, tar);
  // 64 KiB blocks: ~100 block boundaries, each a sync flush and a preset dictionary
  layer = await layerFromFile(tarPath, { dir: root, gzipBlockSize: 64 * 1024 });
  blob = join(root, 'layer.tar.gz');
  await writeFile(
    blob,
    Buffer.from(await readFile(join(root, `layer-${layer.descriptor().digest.slice(7)}.tar.gz`))),
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('parallel gzip layers and other decoders', () => {
  it('the layer is in the parallel format, not the single-stream one', async () => {
    const single = await layerFromFile(join(root, 'layer.tar'), { dir: root, parallel: false });
    expect(layer.descriptor().digest).not.toBe(single.descriptor().digest);
    expect(await layer.diffId()).toBe(sha(tar));
  });

  it.each([
    ['gzip', ['-dc']],
    ['pigz', ['-dc']],
  ])('%s decodes it to the exact tar and its integrity test passes', async (cmd, args) => {
    const out = await tool(cmd, [...args, blob]);
    expect(sha(out)).toBe(sha(tar));
    await tool(cmd, ['-t', blob]);
  });

  it('skopeo (Go compress/gzip) recompresses it to zstd with the same diffID, umoci unpacks the files', async () => {
    const image = appendLayers(emptyImage({ platform: { os: 'linux', architecture: 'amd64' } }), [
      { layer, history: { created_by: 'parallel gzip' } },
    ]);
    const src = join(root, 'layout');
    const dst = join(root, 'copied');
    await writeLayout(src, image, { tag: 'p' });
    await tool('skopeo', ['copy', '--dest-compress-format', 'zstd', `oci:${src}:p`, `oci:${dst}:z`]);
    const back = await (await readLayout(dst)).image({ tag: 'z' });
    await validateImage(back);
    expect((await back.manifest()).layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect((await back.config()).rootfs.diff_ids).toEqual([sha(tar)]);

    const bundle = join(root, 'bundle');
    await tool('umoci', ['unpack', '--rootless', '--image', `${src}:p`, bundle]);
    for (const [name, content] of Object.entries(files()))
      expect(sha(await readFile(join(bundle, 'rootfs', name))), name).toBe(sha(content));
  });
});
