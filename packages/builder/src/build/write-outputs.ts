import { writeFile } from 'node:fs/promises';
import { type Image, writeDockerArchive, writeLayout } from '@kaniko-ts/oci';
import type { BuildOptions } from '../build.js';
import { LayerUploader } from '../engine/layer-uploader.js';
import { repository, tagOf } from './reference-parts.js';

/**
 * Writes every output asked for: pushes to each destination (returning `repo@digest` for each), the
 * OCI layout, the docker-archive tarball and the digest files.
 */
export async function writeOutputs(opts: BuildOptions, image: Image, digest: string): Promise<string[]> {
  const pushed: string[] = [];
  if (opts.push) {
    // destinations are independent: pushed together (a blob is never sent twice to one repository)
    await Promise.all(
      opts.destinations.map((dest) =>
        opts.registry.pushImage(dest, image, {
          onProgress: (p) => opts.events?.push?.({ destination: dest, ...p }),
        }),
      ),
    );
    pushed.push(...opts.destinations.map((dest) => `${repository(dest)}@${digest}`));
  }
  if (opts.ociLayoutPath) {
    await writeLayout(opts.ociLayoutPath, image, { tag: tagOf(opts.destinations[0]) ?? 'latest' });
  }
  if (opts.tarPath)
    await writeDockerArchive(opts.tarPath, image, {
      tags: opts.destinations.length ? opts.destinations : ['image:latest'],
    });
  await writeDigestFiles(opts, digest);
  return pushed;
}

/**
 * Pushes each layer to every destination as soon as the engine hands it over, once `ready` (the
 * push-permission check) has passed: a refused push fails with the check's own error.
 */
export function layerUploader(opts: BuildOptions, ready?: Promise<unknown>): LayerUploader {
  return new LayerUploader(async (layer, signal) => {
    await ready;
    return Promise.all(
      opts.destinations.map((dest) =>
        opts.registry.pushBlob(
          dest,
          { descriptor: layer.descriptor(), open: () => layer.compressed() },
          { signal, onProgress: (p) => opts.events?.push?.({ destination: dest, ...p }) },
        ),
      ),
    );
  });
}

/**
 * Pushes the image's config blob to every destination and asks what each destination names now
 * (build() starts both while the layer uploads finish; the final `pushImage` then finds the config
 * pushed, and knows without a round trip of its own whether its manifest is there already).
 */
export async function pushConfig(opts: BuildOptions, image: Image): Promise<void> {
  for (const dest of opts.destinations) opts.registry.checkManifestAhead(dest);
  const descriptor = await image.configDescriptor();
  await Promise.all(
    opts.destinations.map((dest) =>
      opts.registry.pushBlob(
        dest,
        { descriptor, open: () => image.rawConfig() },
        // the config (usually new: it records when the content was first built) goes straight into
        // the session the permission check opened, beside the layers' HEADs, not after a HEAD
        { skipExistenceCheck: true, onProgress: (p) => opts.events?.push?.({ destination: dest, ...p }) },
      ),
    ),
  );
}

async function writeDigestFiles(opts: BuildOptions, digest: string): Promise<void> {
  if (opts.digestFile) await writeFile(opts.digestFile, digest);
  if (opts.imageNameWithDigestFile) {
    await writeFile(
      opts.imageNameWithDigestFile,
      opts.destinations.map((d) => `${repository(d)}@${digest}\n`).join(''),
    );
  }
  if (opts.imageNameTagWithDigestFile) {
    const entries = opts.destinations.map((d) => ({ image: d, digest }));
    await writeFile(opts.imageNameTagWithDigestFile, JSON.stringify(entries));
  }
}
