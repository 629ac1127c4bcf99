import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface ImageConfigFields {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
}

export interface WrittenImage {
  /** Digest of the OCI image manifest (what a registry reports after the push). */
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  /** sha256 of the uncompressed layer tar. */
  diffId: string;
  layerSize: number;
}

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/**
 * Writes an OCI image layout with one image of one gzip layer made from `layerTar`, tagged `tag`.
 * The layer is streamed once: sha256 of the tar (the diff_id) and of the gzip (the blob digest) are
 * computed on the way. gzip headers carry no name or time, so equal tars give equal digests.
 */
export async function writeSingleLayerImage(opts: {
  dir: string;
  layerTar: string;
  tag: string;
  config: ImageConfigFields;
  createdBy: string;
  created?: string;
}): Promise<WrittenImage> {
  const blobs = join(opts.dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  let layerSize = 0;
  const tmpBlob = join(blobs, '.layer.tmp');
  await pipeline(
    createReadStream(opts.layerTar),
    tap((chunk) => tarHash.update(chunk)),
    createGzip({ level: 6 }),
    tap((chunk) => {
      gzHash.update(chunk);
      layerSize += chunk.length;
    }),
    createWriteStream(tmpBlob),
  );
  const diffId = `sha256:${tarHash.digest('hex')}`;
  const layerDigest = `sha256:${gzHash.digest('hex')}`;
  await rename(tmpBlob, join(blobs, layerDigest.slice(7)));
  const created = opts.created ?? '1970-01-01T00:00:00Z';
  const config = {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: opts.config,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: opts.createdBy }],
  };
  const configDesc = await writeBlob(blobs, CONFIG, JSON.stringify(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: MANIFEST,
    config: configDesc,
    layers: [{ mediaType: LAYER_GZIP, digest: layerDigest, size: layerSize }],
  };
  const manifestDesc = await writeBlob(blobs, MANIFEST, JSON.stringify(manifest));
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        ...manifestDesc,
        platform: { architecture: 'amd64', os: 'linux' },
        annotations: { 'org.opencontainers.image.ref.name': opts.tag },
      },
    ],
  };
  await writeFile(join(opts.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(opts.dir, 'index.json'), JSON.stringify(index));
  return {
    manifestDigest: manifestDesc.digest,
    configDigest: configDesc.digest,
    layerDigest,
    diffId,
    layerSize,
  };
}

async function writeBlob(blobs: string, mediaType: string, content: string) {
  const bytes = Buffer.from(content);
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(blobs, hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

function tap(fn: (chunk: Buffer) => void) {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      fn(chunk);
      cb(null, chunk);
    },
  });
}
