import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildPlan } from '@kaniko-ts/dockerfile';
import {
  type Compression,
  convertMediaType,
  type History,
  type Image,
  type ImageConfig,
  imageFromParts,
  type Layer,
  layerFromFile,
  MediaType,
  sha256,
  withLayerDescriptor,
  withManifestAnnotations,
  withMediaTypes,
} from '@kaniko-ts/oci';
import { BuilderError } from '../builder-error.js';
import { squashLayers } from '../snapshot/squash-layers.js';

/**
 * The image of a stage from its config, history and layers, with OCI media types throughout (base
 * layers from Docker schema 2 images are relabelled; their bytes are the same gzip tars).
 */
export async function assembleImage(
  config: ImageConfig,
  history: History[],
  layers: Layer[],
): Promise<Image> {
  const oci = layers.map((l) => {
    const mt = convertMediaType(l.mediaType, 'oci');
    return mt === l.mediaType ? l : withLayerDescriptor(l, { mediaType: mt });
  });
  const diffIds = await Promise.all(oci.map((l) => l.diffId()));
  const full: ImageConfig = { ...config, rootfs: { type: 'layers', diff_ids: diffIds }, history };
  const rawConfig = new TextEncoder().encode(JSON.stringify(full));
  return imageFromParts({
    manifest: {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256(rawConfig), size: rawConfig.byteLength },
      layers: oci.map((l) => l.descriptor()),
    },
    rawConfig,
    layers: oci,
  });
}

/** What `finishImage` changes on the built image (kaniko's output flags). */
export interface FinishOptions {
  /**
   * `--single-snapshot`: the layers after the first `keep` (the base image's) become one layer,
   * written under `workDir` and compressed with `compression`.
   */
  squash?: { keep: number; workDir: string; compression?: Compression; level?: number; comment?: string };
  /** `--image-format`: media types of manifest, config and layers (bytes unchanged). Default oci. */
  format?: 'oci' | 'docker';
  /** `--annotation`: manifest annotations (OCI manifests only; Docker schema 2 has no field for them). */
  annotations?: Record<string, string>;
}

/** Squashes, relabels and annotates the image the engine assembled. */
export async function finishImage(image: Image, opts: FinishOptions): Promise<Image> {
  let out = image;
  if (opts.squash) out = await squashImage(out, opts.squash);
  if (opts.format === 'docker') out = withMediaTypes(out, 'docker');
  if (opts.annotations && Object.keys(opts.annotations).length > 0) {
    if (opts.format === 'docker')
      throw new BuilderError(
        'UNSUPPORTED',
        'setting manifest annotations: Docker schema 2 manifests have no annotations; use --image-format=oci',
      );
    out = withManifestAnnotations(out, opts.annotations);
  }
  return out;
}

async function squashImage(image: Image, opts: NonNullable<FinishOptions['squash']>): Promise<Image> {
  const layers = await image.layers();
  const added = layers.slice(opts.keep);
  if (added.length <= 1) return image;
  const config = await image.config();
  const tarPath = join(opts.workDir, `squashed-${Date.now()}-${process.pid}.tar`);
  await mkdir(opts.workDir, { recursive: true });
  await squashLayers(added, tarPath);
  const squashed = await layerFromFile(tarPath, {
    compression: opts.compression ?? 'gzip',
    dir: opts.workDir,
    ...(opts.level !== undefined ? { level: opts.level } : {}),
  });
  // History: the base image's entries stay; the stage's entries stay as empty_layer (they still
  // say what was run); one entry describes the squashed layer.
  const history: History[] = [];
  let layersSeen = 0;
  for (const h of config.history ?? []) {
    if (h.empty_layer) history.push(h);
    else if (layersSeen++ < opts.keep) history.push(h);
    else history.push({ ...h, empty_layer: true });
  }
  history.push({
    ...(config.created ? { created: config.created } : {}),
    created_by: 'kaniko-ts --single-snapshot',
    comment: opts.comment ?? `${added.length} layers squashed into one`,
  });
  return assembleImage(config, history, [...layers.slice(0, opts.keep), squashed]);
}

/**
 * How many layers of the target stage come from its base image (following `FROM <stage>` up to
 * the first image; 0 for scratch): what `--single-snapshot` keeps as they are.
 */
export async function baseLayerCount(
  plan: BuildPlan,
  pull: (ref: string, platform: string | undefined) => Promise<Image>,
): Promise<number> {
  let stage = plan.stages[plan.target];
  while (stage?.base.kind === 'stage') stage = plan.stages[stage.base.index];
  if (stage?.base.kind !== 'image') return 0;
  return (await (await pull(stage.base.ref, stage.platform)).manifest()).layers.length;
}
