import {
  type Descriptor,
  type Digest,
  isDigest,
  MediaType,
  sha256,
  sniffManifestMediaType,
} from '@kaniko-ts/oci';
import { repositoryScope } from './auth/authenticator.js';
import { readCached, storeCached } from './internal/cached-content.js';
import { type ClientContext, v2Path } from './internal/context.js';
import type { Reference } from './reference.js';
import { RegistryError } from './registry-error.js';

/** Every manifest media type we can read, for `Accept`. */
export const manifestAccept = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(', ');

/** A manifest as fetched: exact bytes, media type and the descriptor naming them. */
export interface RemoteManifest {
  /** The reference it was read from (a mirror's, when a mirror answered). */
  readonly ref: Reference;
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
}

/** GETs a manifest and checks its bytes against the digest (the reference's, or the registry's header). */
export async function fetchManifest(
  ctx: ClientContext,
  ref: Reference,
  accept = manifestAccept,
): Promise<RemoteManifest> {
  const operation = `getting manifest ${ref}`;
  const { response, bytes } = await ctx.transport.sendForBytes({
    method: 'GET',
    registry: ref.registry,
    url: v2Path(ref, `manifests/${ref.identifier}`),
    headers: { accept },
    scopes: [repositoryScope(ref.repository, 'pull')],
    operation,
    expect: [200],
  });
  const actual = sha256(bytes);
  const claimed = ref.digest ?? response.headers['docker-content-digest'];
  if (claimed?.startsWith('sha256:') && claimed !== actual) {
    throw new RegistryError(
      'DIGEST_INVALID',
      `${operation}: content hashes to ${actual}, expected ${claimed}`,
      {
        registry: ref.registry,
      },
    );
  }
  const mediaType = contentType(response.headers['content-type']) ?? sniff(bytes, operation, ref.registry);
  if (isSchema1(mediaType)) {
    throw new RegistryError('UNSUPPORTED', `${operation}: docker schema 1 manifests are not supported`, {
      registry: ref.registry,
    });
  }
  return { ref, descriptor: { mediaType, digest: actual, size: bytes.byteLength }, bytes };
}

/**
 * `fetchManifest`, with the client's content cache in front when the reference names a digest (a
 * tag is always resolved by the registry: a moved tag must be noticed). Only manifests whose media
 * type the bytes themselves say are kept, so one read back has the descriptor the registry gave.
 * `readCache` false: fetched from the registry (and kept), e.g. when mirrors decide where blobs come from.
 */
export async function fetchManifestByDigest(
  ctx: ClientContext,
  ref: Reference,
  readCache: boolean,
): Promise<RemoteManifest> {
  const digest = ref.digest;
  if (digest === undefined || ctx.contentCache === undefined) return fetchManifest(ctx, ref);
  const cached = readCache ? await readCached(ctx, digest, 'manifest') : undefined;
  const mediaType = cached === undefined ? undefined : sniffOrUndefined(cached);
  if (cached !== undefined && mediaType !== undefined && !isSchema1(mediaType)) {
    return {
      ref,
      descriptor: { mediaType, digest: digest as Digest, size: cached.byteLength },
      bytes: cached,
    };
  }
  const remote = await fetchManifest(ctx, ref);
  if (sniffOrUndefined(remote.bytes) === remote.descriptor.mediaType)
    storeCached(ctx, remote.descriptor.digest, remote.bytes, 'manifest');
  return remote;
}

function sniffOrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return sniffManifestMediaType(bytes);
  } catch {
    return undefined;
  }
}

const isSchema1 = (mediaType: string) =>
  mediaType === 'application/vnd.docker.distribution.manifest.v1+json' || mediaType.endsWith('v1+prettyjws');

/**
 * HEADs a manifest: its descriptor, or undefined when the registry does not have it. `actions`: the
 * token scope to ask for (a push asks for the pull-and-push token it holds already).
 */
export async function headManifest(
  ctx: ClientContext,
  ref: Reference,
  actions: readonly ('pull' | 'push')[] = ['pull'],
): Promise<Descriptor | undefined> {
  const response = await ctx.transport.send({
    method: 'HEAD',
    registry: ref.registry,
    url: v2Path(ref, `manifests/${ref.identifier}`),
    headers: { accept: manifestAccept },
    scopes: [repositoryScope(ref.repository, ...actions)],
    operation: `checking manifest ${ref}`,
    expect: [200, 404],
  });
  await response.body.dump();
  if (response.status === 404) return undefined;
  const digest = response.headers['docker-content-digest'] ?? ref.digest;
  const size = Number(response.headers['content-length']);
  const mediaType = contentType(response.headers['content-type']);
  if (digest === undefined || !isDigest(digest) || !Number.isFinite(size) || mediaType === undefined) {
    // Some registries omit headers on HEAD; fall back to GET.
    return (await fetchManifest(ctx, ref)).descriptor;
  }
  return { mediaType, digest: digest as Digest, size };
}

/** Pushes manifest bytes under a tag or digest; returns the digest and the registry's `OCI-Subject`. */
export async function putManifest(
  ctx: ClientContext,
  ref: Reference,
  bytes: Uint8Array,
  mediaType: string,
): Promise<{ digest: Digest; subject: string | undefined }> {
  const digest = sha256(bytes);
  const operation = `pushing manifest ${digest} to ${ref.name}${ref.tag === undefined ? '' : `:${ref.tag}`}`;
  const response = await ctx.transport.send({
    method: 'PUT',
    registry: ref.registry,
    url: v2Path(ref, `manifests/${ref.tag ?? digest}`),
    headers: { 'content-type': mediaType },
    body: () => bytes,
    scopes: [repositoryScope(ref.repository, 'pull', 'push')],
    operation,
    expect: [201, 200, 202],
  });
  await response.body.dump();
  const returned = response.headers['docker-content-digest'];
  if (returned?.startsWith('sha256:') && returned !== digest) {
    throw new RegistryError('DIGEST_INVALID', `${operation}: registry stored it as ${returned}`, {
      registry: ref.registry,
    });
  }
  return { digest, subject: response.headers['oci-subject'] };
}

function contentType(value: string | undefined): string | undefined {
  const type = value?.split(';')[0]?.trim();
  return type === undefined || type === '' || type === 'application/json' || type === 'text/plain'
    ? undefined
    : type;
}

function sniff(bytes: Uint8Array, operation: string, registry: string): string {
  try {
    return sniffManifestMediaType(bytes);
  } catch (error) {
    throw new RegistryError('MANIFEST_INVALID', `${operation}: response is not a manifest`, {
      registry,
      cause: error,
    });
  }
}
