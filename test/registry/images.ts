import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  type Descriptor,
  type Image,
  type ImageIndex,
  imageFromParts,
  indexFromParts,
  type Layer,
  layerFromBlob,
  MediaType,
  type Platform,
  serializeManifest,
  sha256,
  toPlatformJson,
} from '@kaniko-ts/oci';

/** A one-file tar archive (ustar), enough for a real layer. */
export function tarWithFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('14000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

/** A gzip layer holding one random file of `size` bytes. */
export function randomLayer(
  size: number,
  name = 'data.bin',
): { layer: Layer; diffId: string; bytes: Buffer } {
  const tar = tarWithFile(name, randomBytes(size));
  const bytes = gzipSync(tar, { level: 1 });
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const descriptor: Descriptor = {
    mediaType: MediaType.ociLayerGzip,
    digest: sha256(bytes),
    size: bytes.length,
  };
  return {
    layer: layerFromBlob({
      descriptor,
      open: async () => Readable.from([bytes]),
      diffId: diffId as `sha256:${string}`,
    }),
    diffId,
    bytes,
  };
}

/** An OCI image assembled in memory from layers (config with matching diff_ids). */
export function assembleImage(
  layers: { layer: Layer; diffId: string }[],
  platform: Platform = { os: 'linux', architecture: 'amd64' },
  extra: { artifactType?: string; subject?: Descriptor; annotations?: Record<string, string> } = {},
): Image {
  const config = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  const rawConfig = serializeManifest(config);
  return imageFromParts({
    manifest: {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      ...(extra.artifactType ? { artifactType: extra.artifactType } : {}),
      config: { mediaType: MediaType.ociConfig, digest: sha256(rawConfig), size: rawConfig.length },
      layers: layers.map((l) => l.layer.descriptor()),
      ...(extra.subject ? { subject: extra.subject } : {}),
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    rawConfig,
    layers: layers.map((l) => l.layer),
  });
}

/** An artifact manifest (empty config) pointing at `subject`, as cosign/oras push them. */
export function artifactFor(subject: Descriptor, artifactType: string, payload: string): Image {
  const bytes = Buffer.from(payload);
  const descriptor: Descriptor = { mediaType: 'text/plain', digest: sha256(bytes), size: bytes.length };
  const empty = new Uint8Array([0x7b, 0x7d]);
  return imageFromParts({
    manifest: {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType,
      config: { mediaType: MediaType.ociEmpty, digest: sha256(empty), size: 2 },
      layers: [descriptor],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: { 'org.example.payload': payload },
    },
    rawConfig: empty,
    layers: [layerFromBlob({ descriptor, open: async () => Readable.from([bytes]) })],
  });
}

/** A two-platform OCI index over in-memory images. */
export async function assembleIndex(images: { image: Image; platform: Platform }[]): Promise<ImageIndex> {
  const manifests: Descriptor[] = [];
  const children = new Map();
  for (const { image, platform } of images) {
    manifests.push({ ...(await image.descriptor()), platform: toPlatformJson(platform) });
    children.set(await image.digest(), image);
  }
  return indexFromParts({
    manifest: { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests },
    children,
  });
}
