import {
  type Descriptor,
  type Image,
  type ImageIndex,
  imageFromCore,
  indexFromCore,
  isIndexMediaType,
  type Platform,
  resolvePlatform,
} from '@kaniko-ts/oci';
import { repositoryScope } from './auth/authenticator.js';
import { readCached, storeCached } from './internal/cached-content.js';
import { type ClientContext, recordBlobSource, v2Path } from './internal/context.js';
import type { Reference } from './reference.js';
import { RegistryError } from './registry-error.js';
import { openBlob } from './remote-blob.js';
import { fetchManifestByDigest, type RemoteManifest } from './remote-manifest.js';

/**
 * Fetches a reference's manifest from the first endpoint that has it (mirrors and maps first, as
 * configured, then the registry itself). Errors from mirrors are logged, not thrown, unless every
 * endpoint fails; then the last error is thrown.
 */
export async function fetchFromEndpoints(ctx: ClientContext, ref: Reference): Promise<RemoteManifest> {
  const endpoints = ctx.pullEndpoints(ref);
  let lastError: unknown;
  for (const endpoint of endpoints) {
    try {
      // by digest, the content cache may answer; a tag always goes to the registry (see fetchManifestByDigest)
      return await fetchManifestByDigest(ctx, endpoint, endpoints.length === 1);
    } catch (error) {
      lastError = error;
      if (endpoint !== endpoints[endpoints.length - 1]) {
        ctx.log('warn', `${(error as Error).message}; trying next endpoint`);
      }
    }
  }
  throw lastError;
}

/** An `Image` view of a manifest in a registry: config fetched on demand, layers stream lazily. */
export function remoteImage(ctx: ClientContext, remote: RemoteManifest): Image {
  const { ref, bytes, descriptor } = remote;
  return imageFromCore({
    mediaType: descriptor.mediaType,
    rawManifest: async () => bytes,
    blob: async (blob: Descriptor) => {
      recordBlobSource(ctx, ref, blob.digest);
      return openBlob(ctx, ref, blob);
    },
    rawConfig: async () => {
      const manifest = JSON.parse(new TextDecoder().decode(bytes)) as { config: Descriptor };
      // the manifest names its config by digest: a copy kept from an earlier pull is the same bytes
      const cached = await readCached(ctx, manifest.config.digest, 'config');
      if (cached !== undefined) {
        recordBlobSource(ctx, ref, manifest.config.digest);
        return cached;
      }
      const { bytes: config } = await ctx.transport.sendForBytes({
        method: 'GET',
        registry: ref.registry,
        url: v2Path(ref, `blobs/${manifest.config.digest}`),
        scopes: [repositoryScope(ref.repository, 'pull')],
        operation: `pulling config ${manifest.config.digest} from ${ref.name}`,
        expect: [200],
      });
      recordBlobSource(ctx, ref, manifest.config.digest);
      storeCached(ctx, manifest.config.digest, config, 'config');
      return config;
    },
  });
}

/** An `ImageIndex` view of an index in a registry; children are fetched by digest on demand. */
export function remoteIndex(ctx: ClientContext, remote: RemoteManifest): ImageIndex {
  const { ref, bytes, descriptor } = remote;
  const child = async (d: Descriptor) => {
    const fetched = await fetchManifestByDigest(ctx, ref.withDigest(d.digest), true);
    if (fetched.descriptor.digest !== d.digest) {
      throw new RegistryError(
        'DIGEST_INVALID',
        `getting manifest ${d.digest} from ${ref.name}: digest mismatch`,
        {
          registry: ref.registry,
        },
      );
    }
    return fetched;
  };
  return indexFromCore({
    mediaType: descriptor.mediaType,
    rawManifest: async () => bytes,
    image: async (d) => remoteImage(ctx, await child(d)),
    index: async (d) => remoteIndex(ctx, await child(d)),
  });
}

/** Image or index, whichever the reference names. */
export function remoteView(ctx: ClientContext, remote: RemoteManifest): Image | ImageIndex {
  return isIndexMediaType(remote.descriptor.mediaType) ? remoteIndex(ctx, remote) : remoteImage(ctx, remote);
}

/** Resolves a reference to one image: an index is narrowed to `platform`. */
export async function pullImage(ctx: ClientContext, ref: Reference, platform: Platform): Promise<Image> {
  const remote = await fetchFromEndpoints(ctx, ref);
  if (!isIndexMediaType(remote.descriptor.mediaType)) return remoteImage(ctx, remote);
  const index = remoteIndex(ctx, remote);
  let chosen: Descriptor;
  try {
    chosen = await resolvePlatform(index, platform);
  } catch (error) {
    throw new RegistryError('PLATFORM_NOT_FOUND', `pulling ${ref}: ${(error as Error).message}`, {
      registry: ref.registry,
      cause: error,
    });
  }
  return index.image(chosen);
}
