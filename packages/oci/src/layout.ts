import { createReadStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Annotation, cleanDescriptor, type Descriptor } from './descriptor.js';
import { type Digest, digestAlgorithm, digestHex, verifyBytes } from './digest.js';
import { type Image, imageFromCore } from './image.js';
import { type ImageIndex, imageForPlatform, indexFromCore, isImageIndex } from './image-index.js';
import { replaceFile, writeBlobBytes, writeBlobFile } from './internal/blob-file.js';
import { type ImageIndexManifest, parseImageIndexManifest } from './manifest.js';
import { isIndexMediaType, MediaType } from './media-types.js';
import { OciError } from './oci-error.js';
import type { Platform } from './platform.js';

/** Picks one entry of a layout's `index.json`. With neither field, the layout must hold exactly one. */
export interface LayoutSelector {
  /** Matches the `org.opencontainers.image.ref.name` annotation (or a full containerd name ending `:tag`). */
  tag?: string;
  digest?: Digest;
}

/** A read view of an OCI image layout directory. */
export interface OciLayout {
  readonly dir: string;
  /** `index.json` as an index view (its children are the layout's top-level manifests). */
  root(): ImageIndex;
  /** The `index.json` entry a selector names. Throws `NOT_FOUND` or `AMBIGUOUS`. */
  resolve(select?: LayoutSelector): Promise<Descriptor>;
  /**
   * The image a selector names. If it names an index, `platform` picks the image (or the index must
   * hold exactly one image manifest).
   */
  image(select?: LayoutSelector & { platform?: Platform }): Promise<Image>;
  /** The index a selector names. */
  index(select?: LayoutSelector): Promise<ImageIndex>;
}

function blobPath(dir: string, digest: Digest): string {
  return join(dir, 'blobs', digestAlgorithm(digest), digestHex(digest));
}

async function readBlob(dir: string, d: Descriptor): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(blobPath(dir, d.digest));
  } catch (cause) {
    throw new OciError('NOT_FOUND', `reading layout blob ${d.digest} in ${dir}: missing`, { cause });
  }
  verifyBytes(bytes, d.digest, d.size, `layout blob`);
  return bytes;
}

function layoutImage(dir: string, d: Descriptor): Image {
  return imageFromCore({
    mediaType: d.mediaType,
    rawManifest: () => readBlob(dir, d),
    blob: async (b) => {
      const p = blobPath(dir, b.digest);
      const s = createReadStream(p);
      await new Promise<void>((resolve, reject) => {
        s.once('open', () => resolve());
        s.once('error', (cause) =>
          reject(new OciError('NOT_FOUND', `reading layout blob ${b.digest} in ${dir}: missing`, { cause })),
        );
      });
      return s;
    },
  });
}

function layoutIndex(dir: string, mediaType: string, raw: () => Promise<Uint8Array>): ImageIndex {
  return indexFromCore({
    mediaType,
    rawManifest: raw,
    image: async (d) => layoutImage(dir, d),
    index: async (d) => layoutIndex(dir, d.mediaType, () => readBlob(dir, d)),
  });
}

/**
 * Opens an OCI image layout (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`). Every blob is verified
 * against its digest as it is read: a corrupt blob fails with `DIGEST_MISMATCH`, never silently.
 */
export async function readLayout(dir: string): Promise<OciLayout> {
  let layoutFile: { imageLayoutVersion?: string };
  try {
    layoutFile = JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'));
  } catch (cause) {
    throw new OciError('INVALID_LAYOUT', `reading layout ${dir}: no valid oci-layout file`, { cause });
  }
  if (typeof layoutFile.imageLayoutVersion !== 'string') {
    throw new OciError('INVALID_LAYOUT', `reading layout ${dir}: oci-layout has no imageLayoutVersion`);
  }
  let rawIndex: Uint8Array;
  let index: ImageIndexManifest;
  try {
    rawIndex = await readFile(join(dir, 'index.json'));
    index = parseImageIndexManifest(rawIndex);
  } catch (cause) {
    throw new OciError('INVALID_LAYOUT', `reading layout ${dir}: no valid index.json`, { cause });
  }
  const root = layoutIndex(dir, index.mediaType ?? MediaType.ociIndex, async () => rawIndex);
  const resolve = async (select: LayoutSelector = {}): Promise<Descriptor> => {
    let found = index.manifests;
    if (select.digest) found = found.filter((d) => d.digest === select.digest);
    if (select.tag !== undefined) {
      const tag = select.tag;
      found = found.filter(
        (d) =>
          d.annotations?.[Annotation.refName] === tag ||
          d.annotations?.[Annotation.containerdImageName]?.endsWith(`:${tag}`),
      );
    }
    const what = JSON.stringify(select);
    if (found.length === 0)
      throw new OciError('NOT_FOUND', `selecting ${what} in layout ${dir}: no such manifest`);
    const unique = new Set(found.map((d) => d.digest));
    if (unique.size > 1) {
      throw new OciError('AMBIGUOUS', `selecting ${what} in layout ${dir}: ${unique.size} manifests match`);
    }
    return cleanDescriptor(found[0]!);
  };
  return {
    dir,
    root: () => root,
    resolve,
    image: async (select = {}) => {
      const d = await resolve(select);
      if (!isIndexMediaType(d.mediaType)) return layoutImage(dir, d);
      const child = layoutIndex(dir, d.mediaType, () => readBlob(dir, d));
      if (select.platform) return imageForPlatform(child, select.platform);
      const images = (await child.manifest()).manifests.filter((m) => !isIndexMediaType(m.mediaType));
      if (images.length !== 1) {
        throw new OciError(
          'AMBIGUOUS',
          `selecting image in layout ${dir}: index ${d.digest} holds ${images.length} images; pass a platform`,
        );
      }
      return child.image(images[0]!);
    },
    index: async (select = {}) => {
      const d = await resolve(select);
      if (!isIndexMediaType(d.mediaType)) {
        throw new OciError(
          'UNSUPPORTED_MEDIA_TYPE',
          `selecting index in layout ${dir}: ${d.digest} is an image`,
        );
      }
      return layoutIndex(dir, d.mediaType, () => readBlob(dir, d));
    },
  };
}

/** Options of `writeLayout`. */
export interface WriteLayoutOptions {
  /** Sets `org.opencontainers.image.ref.name`; an entry with the same tag is replaced. */
  tag?: string;
  /** Extra annotations on the `index.json` entry. */
  annotations?: Record<string, string>;
}

async function writeImageBlobs(dir: string, image: Image): Promise<void> {
  const manifest = await image.manifest();
  for (const layer of await image.layers()) {
    const d = layer.descriptor();
    await writeBlobFile(blobPath(dir, d.digest), d, () => layer.compressed());
  }
  await writeBlobBytes(blobPath(dir, manifest.config.digest), manifest.config, await image.rawConfig());
  await writeBlobBytes(
    blobPath(dir, await image.digest()),
    await image.descriptor(),
    await image.rawManifest(),
  );
}

async function writeIndexBlobs(dir: string, index: ImageIndex): Promise<void> {
  for (const d of (await index.manifest()).manifests) {
    if (isIndexMediaType(d.mediaType)) await writeIndexBlobs(dir, await index.index(d));
    else await writeImageBlobs(dir, await index.image(d));
  }
  await writeBlobBytes(
    blobPath(dir, await index.digest()),
    await index.descriptor(),
    await index.rawManifest(),
  );
}

/**
 * Writes an image or index into an OCI layout directory (created if missing) and records it in
 * `index.json`. Blob writes are idempotent and atomic; an existing layout keeps its other entries.
 * Returns the `index.json` entry. Concurrent writers to one layout must serialize themselves.
 */
export async function writeLayout(
  dir: string,
  view: Image | ImageIndex,
  opts: WriteLayoutOptions = {},
): Promise<Descriptor> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  let index: ImageIndexManifest = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
  try {
    index = parseImageIndexManifest(await readFile(join(dir, 'index.json')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new OciError('INVALID_LAYOUT', `writing layout ${dir}: existing index.json is invalid`, {
        cause: e,
      });
    }
  }
  if (isImageIndex(view)) await writeIndexBlobs(dir, view);
  else await writeImageBlobs(dir, view);
  const entry = cleanDescriptor(await view.descriptor());
  const annotations = {
    ...opts.annotations,
    ...(opts.tag !== undefined ? { [Annotation.refName]: opts.tag } : {}),
  };
  if (Object.keys(annotations).length) entry.annotations = annotations;
  const manifests = index.manifests.filter((d) => {
    if (opts.tag !== undefined && d.annotations?.[Annotation.refName] === opts.tag) return false;
    return !(
      d.digest === entry.digest &&
      JSON.stringify(d.annotations ?? {}) === JSON.stringify(entry.annotations ?? {})
    );
  });
  manifests.push(entry);
  await replaceFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await replaceFile(join(dir, 'index.json'), JSON.stringify({ ...index, manifests }));
  return entry;
}
