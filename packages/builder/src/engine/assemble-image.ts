import {
  convertMediaType,
  type History,
  type Image,
  type ImageConfig,
  imageFromParts,
  type Layer,
  MediaType,
  sha256,
  withLayerDescriptor,
} from '@kaniko-ts/oci';

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
