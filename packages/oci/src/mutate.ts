import { cleanDescriptor, type Descriptor } from './descriptor.js';
import { sha256 } from './digest.js';
import type { Image } from './image.js';
import { imageFromParts } from './image.js';
import type { History, ImageConfig } from './image-config.js';
import { lazyImage } from './internal/lazy.js';
import { formatTimestamp, toDate } from './internal/time.js';
import { type Layer, withLayerDescriptor } from './layer.js';
import type { ImageManifest } from './manifest.js';
import { convertMediaType, isConfigMediaType, type MediaTypeFamily, mediaTypeFamily } from './media-types.js';

/** What a mutation works on: the base's manifest, config bytes and layers. */
interface Parts {
  manifest: ImageManifest;
  rawConfig: Uint8Array;
  layers: Layer[];
}

async function partsOf(image: Image): Promise<Parts> {
  const [manifest, rawConfig, layers] = await Promise.all([
    image.manifest(),
    image.rawConfig(),
    image.layers(),
  ]);
  return { manifest, rawConfig, layers };
}

/** Serializes a config and points the manifest's config descriptor at it. */
function setConfig(parts: Parts, config: ImageConfig | object): Parts {
  const rawConfig = new TextEncoder().encode(JSON.stringify(config));
  const manifest: ImageManifest = {
    ...parts.manifest,
    config: { ...parts.manifest.config, digest: sha256(rawConfig), size: rawConfig.byteLength },
  };
  return { ...parts, manifest, rawConfig };
}

function configOf(parts: Parts): ImageConfig {
  return JSON.parse(new TextDecoder().decode(parts.rawConfig)) as ImageConfig;
}

/** Rebuilds the manifest's layer list from the layer views. */
function withLayers(parts: Parts, layers: Layer[]): Parts {
  return {
    ...parts,
    layers,
    manifest: { ...parts.manifest, layers: layers.map((l) => cleanDescriptor(l.descriptor())) },
  };
}

/** The generic mutation: a lazy view over `fn(parts of base)`. */
function mutateImage(image: Image, mediaType: string, fn: (parts: Parts) => Promise<Parts> | Parts): Image {
  return lazyImage(mediaType, async () => imageFromParts(await fn(await partsOf(image))));
}

/** A layer to append, with the history entry that describes it. */
export interface Addendum {
  layer: Layer;
  history?: History;
}

/**
 * Appends layers: manifest layers, `rootfs.diff_ids` and `history` grow together. A layer whose media
 * type belongs to the other family (an OCI gzip layer on a Docker image) is relabelled to the image's
 * family so the manifest stays consistent. Entries without history get an empty history entry.
 */
export function appendLayers(image: Image, entries: Array<Addendum | Layer>): Image {
  return mutateImage(image, image.mediaType, async (parts) => {
    const adds = entries.map((e) => ('layer' in e && !('descriptor' in e) ? e : { layer: e as Layer }));
    const family = mediaTypeFamily(parts.manifest.mediaType ?? image.mediaType);
    const config = configOf(parts);
    const diffIds = [...(config.rootfs?.diff_ids ?? [])];
    const history = [...(config.history ?? [])];
    const layers = [...parts.layers];
    for (const { layer, history: h } of adds) {
      diffIds.push(await layer.diffId());
      history.push(h ? { ...h } : {});
      const mt = family ? convertMediaType(layer.mediaType, family) : layer.mediaType;
      layers.push(mt === layer.mediaType ? layer : withLayerDescriptor(layer, { mediaType: mt }));
    }
    return withLayers(
      setConfig(parts, { ...config, rootfs: { type: 'layers', diff_ids: diffIds }, history }),
      layers,
    );
  });
}

/**
 * Replaces the config (object or function of the current one). Layers are kept; keeping
 * `rootfs.diff_ids` consistent with them is the caller's job (`validateImage` checks it).
 */
export function withConfig(
  image: Image,
  update: ImageConfig | ((config: ImageConfig) => ImageConfig),
): Image {
  return mutateImage(image, image.mediaType, (parts) => {
    const next = typeof update === 'function' ? update(configOf(parts)) : update;
    return setConfig(parts, next);
  });
}

/** Merges annotations into the manifest (`undefined` values remove keys). */
export function withManifestAnnotations(
  image: Image,
  annotations: Record<string, string | undefined>,
): Image {
  return mutateImage(image, image.mediaType, (parts) => {
    const merged: Record<string, string> = { ...parts.manifest.annotations };
    for (const [k, v] of Object.entries(annotations)) {
      if (v === undefined) delete merged[k];
      else merged[k] = v;
    }
    const manifest = { ...parts.manifest };
    if (Object.keys(merged).length) manifest.annotations = merged;
    else delete manifest.annotations;
    return { ...parts, manifest };
  });
}

/** Sets the OCI 1.1 `subject` (what this artifact refers to) and optionally `artifactType`. */
export function withSubject(image: Image, subject: Descriptor, artifactType?: string): Image {
  return mutateImage(image, image.mediaType, (parts) => ({
    ...parts,
    manifest: {
      ...parts.manifest,
      ...(artifactType ? { artifactType } : {}),
      subject: cleanDescriptor(subject),
    },
  }));
}

/**
 * Relabels manifest, config and layer media types as OCI or Docker schema 2. Blob bytes do not
 * change (so diffIDs and layer digests stay); the manifest digest does.
 */
export function withMediaTypes(image: Image, family: MediaTypeFamily): Image {
  const mediaType = convertMediaType(image.mediaType, family);
  return mutateImage(image, mediaType, (parts) => {
    const layers = parts.layers.map((l) => {
      const mt = convertMediaType(l.mediaType, family);
      return mt === l.mediaType ? l : withLayerDescriptor(l, { mediaType: mt });
    });
    const config = {
      ...parts.manifest.config,
      mediaType: convertMediaType(parts.manifest.config.mediaType, family),
    };
    return withLayers({ ...parts, manifest: { ...parts.manifest, mediaType, config } }, layers);
  });
}

/** Sets `created` in the config. */
export function withCreated(image: Image, time: Date | number): Image {
  return withConfig(image, (c) => ({ ...c, created: formatTimestamp(toDate(time)) }));
}

/** Options of `canonical`. */
export interface CanonicalOptions {
  /** Seconds since the Unix epoch (SOURCE_DATE_EPOCH) or a Date; default 0. */
  epoch?: number | Date;
}

/**
 * Makes the image metadata reproducible: `created`, every history `created` and the manifest's
 * `org.opencontainers.image.created` annotation are set to `epoch`; host-specific Docker fields
 * (`container`, `container_config`, `docker_version`, `config.Hostname`) are removed. File times
 * inside layers are the snapshotter's job and are not rewritten here.
 */
export function canonical(image: Image, opts: CanonicalOptions = {}): Image {
  const stamp = formatTimestamp(toDate(opts.epoch ?? 0));
  return mutateImage(image, image.mediaType, (parts) => {
    const manifest = { ...parts.manifest };
    if (manifest.annotations?.['org.opencontainers.image.created']) {
      manifest.annotations = { ...manifest.annotations, 'org.opencontainers.image.created': stamp };
    }
    if (!isConfigMediaType(manifest.config.mediaType)) return { ...parts, manifest };
    const { container: _c, container_config: _cc, docker_version: _dv, ...config } = configOf(parts);
    config.created = stamp;
    if (config.history) config.history = config.history.map((h) => ({ ...h, created: stamp }));
    if (config.config) {
      const { Hostname: _h, ...rest } = config.config;
      config.config = rest;
    }
    return setConfig({ ...parts, manifest }, config);
  });
}
