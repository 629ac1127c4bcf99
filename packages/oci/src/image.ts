import type { Readable } from 'node:stream';
import { cleanDescriptor, type Descriptor } from './descriptor.js';
import { type Digest, sha256, verifyBytes } from './digest.js';
import { type ImageConfig, parseImageConfig } from './image-config.js';
import { once } from './internal/once.js';
import { readAll } from './internal/streams.js';
import { type Layer, layerFromBlob } from './layer.js';
import { type ImageManifest, parseImageManifest, serializeManifest } from './manifest.js';
import { MediaType } from './media-types.js';
import { OciError } from './oci-error.js';

/**
 * A read-only view of one image (or artifact) manifest with its config and layers. Views never
 * change; `mutate` functions return new views. Every accessor is memoized per view.
 */
export interface Image {
  /** The manifest's media type (OCI image manifest or Docker schema 2). */
  readonly mediaType: string;
  manifest(): Promise<ImageManifest>;
  /** The exact manifest bytes; `digest()` is their sha256. */
  rawManifest(): Promise<Uint8Array>;
  digest(): Promise<Digest>;
  /** `{mediaType, digest, size}` of the manifest (plus `artifactType` when set), for indexes. */
  descriptor(): Promise<Descriptor>;
  config(): Promise<ImageConfig>;
  /** The exact config bytes (verified against the manifest's config descriptor). */
  rawConfig(): Promise<Uint8Array>;
  configDescriptor(): Promise<Descriptor>;
  /** Layers in manifest order. */
  layers(): Promise<Layer[]>;
}

/** The small core a source implements; `imageFromCore` derives the rest. */
export interface ImageCore {
  mediaType: string;
  rawManifest(): Promise<Uint8Array>;
  /** Opens a blob named by the manifest (config or layer). Bytes are verified by the view. */
  blob(descriptor: Descriptor): Promise<Readable>;
  /** Optional: the config bytes if the source has them cheaper than `blob(config)`. Still verified. */
  rawConfig?(): Promise<Uint8Array>;
}

/** Builds a full `Image` from a manifest source plus a blob opener (registry, layout, archive). */
export function imageFromCore(core: ImageCore): Image {
  const rawManifest = once(core.rawManifest.bind(core));
  const manifest = once(async () => parseImageManifest(await rawManifest()));
  const rawConfig = once(async () => {
    const m = await manifest();
    const bytes = core.rawConfig ? await core.rawConfig() : await readAll(await core.blob(m.config));
    verifyBytes(bytes, m.config.digest, m.config.size, 'config');
    return bytes;
  });
  const config = once(async () => parseImageConfig(await rawConfig()));
  const layers = once(async (): Promise<Layer[]> => {
    const m = await manifest();
    // Artifacts (non-image configs) have no diff_ids: their layers are opaque blobs.
    const isImage =
      m.config.mediaType === MediaType.ociConfig || m.config.mediaType === MediaType.dockerConfig;
    const diffIds = isImage ? ((await config()).rootfs?.diff_ids ?? []) : [];
    return m.layers.map((d, i) => {
      const diffId = diffIds[i];
      return layerFromBlob({ descriptor: d, open: () => core.blob(d), ...(diffId ? { diffId } : {}) });
    });
  });
  return derive(core.mediaType, rawManifest, manifest, rawConfig, config, layers);
}

/** The parts of an image held in memory (config and manifest) plus layer views. */
export interface ImageParts {
  /** The manifest object; `config` and `layers` descriptors must describe `rawConfig` and `layers`. */
  manifest: ImageManifest;
  rawConfig: Uint8Array;
  layers: Layer[];
}

/**
 * An image from in-memory parts. The manifest is serialized with `serializeManifest`; its media type
 * defaults to OCI. Used by `mutate`, `emptyImage` and artifact builders.
 */
export function imageFromParts(parts: ImageParts): Image {
  const m = parts.manifest;
  const mediaType = m.mediaType ?? MediaType.ociManifest;
  const raw = serializeManifest(m);
  const cfg = parts.rawConfig;
  const config = once(async () => parseImageConfig(cfg));
  return derive(
    mediaType,
    async () => raw,
    async () => structuredClone(m),
    async () => cfg,
    config,
    async () => [...parts.layers],
  );
}

function derive(
  mediaType: string,
  rawManifest: () => Promise<Uint8Array>,
  manifest: () => Promise<ImageManifest>,
  rawConfig: () => Promise<Uint8Array>,
  config: () => Promise<ImageConfig>,
  layers: () => Promise<Layer[]>,
): Image {
  const digest = once(async () => sha256(await rawManifest()));
  return {
    mediaType,
    manifest,
    rawManifest,
    digest,
    descriptor: async () => {
      const [m, raw, d] = await Promise.all([manifest(), rawManifest(), digest()]);
      const out: Descriptor = { mediaType, digest: d, size: raw.byteLength };
      if (m.artifactType) out.artifactType = m.artifactType;
      return out;
    },
    rawConfig,
    config: async () => structuredClone(await config()),
    configDescriptor: async () => cleanDescriptor((await manifest()).config),
    layers,
  };
}

/** The layer whose stored digest or diffID is `digest`. Throws `NOT_FOUND`. */
export async function layerByDigest(image: Image, digest: Digest): Promise<Layer> {
  const layers = await image.layers();
  for (const l of layers) if (l.descriptor().digest === digest) return l;
  for (const l of layers) if ((await l.diffId()) === digest) return l;
  throw new OciError('NOT_FOUND', `finding layer ${digest}: not in image ${await image.digest()}`);
}
