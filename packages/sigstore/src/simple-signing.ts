import { goJson, sortedRecord } from './internal/go-json.js';
import { SigstoreError } from './sigstore-error.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  /** `registry/repository` as cosign names it (Docker Hub: `index.docker.io/library/x`). */
  dockerReference: string;
  /** `sha256:<hex>` of the signed manifest. */
  digest: string;
  /** cosign `-a key=value` annotations; `null` when there are none. */
  optional: Record<string, unknown> | null;
}

/**
 * The simple-signing payload byte-for-byte as cosign (sigstore/sigstore `payload.Cosign`) emits it:
 * `{"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},"type":…},"optional":…}`.
 */
export function simpleSigningPayload(options: {
  dockerReference: string;
  digest: string;
  annotations?: Record<string, string>;
}): Uint8Array {
  const optional =
    options.annotations && Object.keys(options.annotations).length ? sortedRecord(options.annotations) : null;
  return Buffer.from(
    goJson({
      critical: {
        identity: { 'docker-reference': options.dockerReference },
        image: { 'docker-manifest-digest': options.digest },
        type: SIMPLE_SIGNING_TYPE,
      },
      optional,
    }),
  );
}

/** Parses a simple-signing payload; like cosign it requires the `type` to be the cosign one. */
export function parseSimpleSigning(bytes: Uint8Array): SimpleSigningPayload {
  let v: {
    critical?: {
      identity?: { 'docker-reference'?: unknown };
      image?: { 'docker-manifest-digest'?: unknown };
      type?: unknown;
    };
    optional?: unknown;
  };
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new SigstoreError('BUNDLE_INVALID', 'parsing simple-signing payload: not JSON', { cause });
  }
  const c = v?.critical;
  if (c?.type !== SIMPLE_SIGNING_TYPE || typeof c.image?.['docker-manifest-digest'] !== 'string') {
    throw new SigstoreError(
      'BUNDLE_INVALID',
      'parsing simple-signing payload: not a cosign container image signature',
    );
  }
  return {
    dockerReference: String(c.identity?.['docker-reference'] ?? ''),
    digest: c.image['docker-manifest-digest'],
    optional: v.optional && typeof v.optional === 'object' ? (v.optional as Record<string, unknown>) : null,
  };
}

/**
 * The repository name cosign puts in `docker-reference` (go-containerregistry `Repository.Name()`):
 * Docker Hub becomes `index.docker.io`, with `library/` for official images.
 */
export function cosignRepositoryName(registry: string, repository: string): string {
  if (registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io') {
    return `index.docker.io/${repository.includes('/') ? repository : `library/${repository}`}`;
  }
  return `${registry}/${repository}`;
}
