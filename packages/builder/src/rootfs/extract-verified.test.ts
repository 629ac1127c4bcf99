// Extraction reads a layer to its very end, so the stored blob's digest is checked even though the
// tar's end-of-archive blocks come before the end of the bytes (record padding, the gzip trailer).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { layerFromBlob, MediaType, sha256, uncompressedChunks } from '@kaniko-ts/oci';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tarOf } from '../../test/tar-of.js';
import { extractLayer } from './extract-layer.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kts-extract-verified-'));
  await mkdir(join(root, 'fs'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A gzip layer whose descriptor claims `claimed` bytes' digest (the right size either way). */
function layerOf(gz: Buffer, claimed: Buffer) {
  return layerFromBlob({
    descriptor: { mediaType: MediaType.ociLayerGzip, digest: sha256(claimed), size: gz.length },
    open: async () => {
      // handed out on demand, 64 KiB at a time
      let next = 0;
      return new Readable({
        read() {
          const part = gz.subarray(next, next + 65_536);
          next += part.length;
          this.push(part.length > 0 ? part : null);
        },
      });
    },
  });
}

// after the archive: 16 MiB that no tar reader looks at, far more than is inflated ahead of the
// reader, arriving in pieces as a download does: only reading to the end reaches the digest check
const padding = randomBytes(16 * 1024 * 1024);
const gz = gzipSync(Buffer.concat([tarOf([{ name: 'etc/motd', body: 'hello\n' }]), padding]));

it('extracts a layer whose bytes match its digest', async () => {
  await extractLayer(join(root, 'fs'), uncompressedChunks(layerOf(gz, gz)));
  expect(await readFile(join(root, 'fs/etc/motd'), 'utf8')).toBe('hello\n');
});

it('fails on a layer whose bytes do not match its digest, though its tar is whole', async () => {
  const tampered = gzipSync(Buffer.concat([tarOf([{ name: 'etc/motd', body: 'pwned\n' }]), padding]));
  const other = Buffer.from(tampered);
  other[other.length - 1] ^= 0xff; // any bytes but these
  await expect(
    extractLayer(join(root, 'fs'), uncompressedChunks(layerOf(tampered, other))),
  ).rejects.toMatchObject({
    code: 'DIGEST_MISMATCH',
  });
});
