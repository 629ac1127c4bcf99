import {
  type Descriptor,
  type Digest,
  digestHex,
  type Image,
  type ImageIndexManifest,
  isIndexMediaType,
  MediaType,
  parseImageIndexManifest,
  serializeManifest,
} from '@kaniko-ts/oci';
import { repositoryScope } from './auth/authenticator.js';
import { type ClientContext, v2Path } from './internal/context.js';
import { pushImageTo } from './push.js';
import type { Reference } from './reference.js';
import { RegistryError } from './registry-error.js';
import { fetchManifest, putManifest } from './remote-manifest.js';

/** The tag-schema fallback tag for a subject: `sha256-<hex>` (OCI distribution spec 1.1). */
export function referrersTag(subject: Digest): string {
  return `${subject.slice(0, subject.indexOf(':'))}-${digestHex(subject)}`;
}

export interface ListReferrersOptions {
  /** Only referrers with this artifact type. */
  readonly artifactType?: string;
}

/**
 * Referrers of `subject` (a reference with a digest): the OCI 1.1 referrers API when the registry
 * has it, else the `sha256-<hex>` fallback index. Filtering by artifact type happens here when the
 * registry did not apply it.
 */
export async function listReferrersOf(
  ctx: ClientContext,
  subject: Reference,
  options: ListReferrersOptions = {},
): Promise<Descriptor[]> {
  const digest = subject.digest as Digest;
  const query =
    options.artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(options.artifactType)}`;
  const operation = `listing referrers of ${subject}`;
  const { response, bytes } = await ctx.transport.sendForBytes({
    method: 'GET',
    registry: subject.registry,
    url: v2Path(subject, `referrers/${digest}${query}`),
    headers: { accept: MediaType.ociIndex },
    scopes: [repositoryScope(subject.repository, 'pull')],
    operation,
    expect: [200, 404, 400, 405],
  });
  const type = response.headers['content-type']?.split(';')[0]?.trim();
  let manifests: Descriptor[];
  let filtered = false;
  if (response.status === 200 && type === MediaType.ociIndex) {
    manifests = parseIndex(bytes, operation, subject.registry).manifests;
    filtered = (response.headers['oci-filters-applied'] ?? '')
      .split(',')
      .some((f) => f.trim() === 'artifactType');
  } else {
    manifests = (await readFallbackIndex(ctx, subject, digest)).manifests;
  }
  if (options.artifactType !== undefined && !filtered) {
    manifests = manifests.filter((d) => d.artifactType === options.artifactType);
  }
  return manifests;
}

async function readFallbackIndex(
  ctx: ClientContext,
  subject: Reference,
  digest: Digest,
): Promise<ImageIndexManifest> {
  try {
    const remote = await fetchManifest(ctx, subject.withTag(referrersTag(digest)), MediaType.ociIndex);
    if (!isIndexMediaType(remote.descriptor.mediaType)) {
      throw new RegistryError(
        'MANIFEST_INVALID',
        `reading referrers tag ${referrersTag(digest)} in ${subject.name}: not an index but ${remote.descriptor.mediaType}`,
        { registry: subject.registry },
      );
    }
    return parseIndex(remote.bytes, `reading referrers tag in ${subject.name}`, subject.registry);
  } catch (error) {
    if (error instanceof RegistryError && (error.code === 'MANIFEST_UNKNOWN' || error.code === 'NOT_FOUND')) {
      return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    }
    throw error;
  }
}

function parseIndex(bytes: Uint8Array, operation: string, registry: string): ImageIndexManifest {
  try {
    return parseImageIndexManifest(bytes);
  } catch (error) {
    throw new RegistryError('MANIFEST_INVALID', `${operation}: ${(error as Error).message}`, {
      registry,
      cause: error,
    });
  }
}

/**
 * Pushes `artifact` (an image/artifact manifest whose `subject` names the subject) by digest to the
 * subject's repository. When the registry does not confirm the subject with an `OCI-Subject` header,
 * adds the artifact to the `sha256-<hex>` fallback index (read, modify, write). Returns the artifact's
 * descriptor as listed by referrers.
 */
export async function attachReferrerTo(
  ctx: ClientContext,
  subject: Reference,
  artifact: Image,
): Promise<Descriptor> {
  const manifest = await artifact.manifest();
  const subjectDigest = manifest.subject?.digest;
  const operation = `attaching referrer to ${subject}`;
  if (subjectDigest === undefined) {
    throw new RegistryError('MANIFEST_INVALID', `${operation}: the artifact manifest has no subject`, {
      registry: subject.registry,
    });
  }
  if (subject.digest !== undefined && subject.digest !== subjectDigest) {
    throw new RegistryError('MANIFEST_INVALID', `${operation}: the artifact's subject is ${subjectDigest}`, {
      registry: subject.registry,
    });
  }
  const digest = await artifact.digest();
  const target = subject.withDigest(digest);
  const pushed = await pushImageTo(ctx, target, artifact);
  const descriptor: Descriptor = {
    mediaType: artifact.mediaType,
    digest,
    size: pushed.descriptor.size,
    artifactType: manifest.artifactType ?? manifest.config.mediaType,
  };
  if (manifest.annotations !== undefined && Object.keys(manifest.annotations).length > 0) {
    descriptor.annotations = { ...manifest.annotations };
  }
  if (pushed.subject !== undefined) return descriptor;
  const index = await readFallbackIndex(ctx, subject, subjectDigest);
  if (index.manifests.some((d) => d.digest === digest)) return descriptor;
  const updated: ImageIndexManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [...index.manifests, descriptor],
  };
  await putManifest(
    ctx,
    subject.withTag(referrersTag(subjectDigest)),
    serializeManifest(updated),
    MediaType.ociIndex,
  );
  return descriptor;
}
