import { type Descriptor, type Digest, parseImageManifest } from '@kaniko-ts/oci';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { ArtifactStore } from './artifact-store.js';
import { type ImageTarget, type ResolvedTarget, resolveTarget } from './image-target.js';
import { COSIGN_SIGN_PREDICATE_TYPE } from './in-toto-statement.js';
import { bundleFromLegacyLayer, legacyEnvelopeTimestamps } from './legacy-bundle.js';
import { legacyTag } from './legacy-manifest.js';
import { BundleAnnotation } from './referrer-manifest.js';
import { SigstoreError } from './sigstore-error.js';
import { parseSimpleSigning } from './simple-signing.js';
import type { SignatureCheck, VerificationReport } from './verification-report.js';
import { type TrustPolicy, verifyBundle } from './verify-bundle.js';

export interface VerifyImageOptions {
  image: ImageTarget;
  signatureRepository?: string;
  /** required unless the policy is a key with `tlogThreshold: 0` */
  trustedRoot?: TrustedRoot;
  policy: TrustPolicy;
  /** predicate types that must each have a verified attestation */
  attestations?: string[];
  /** `auto` (default): bundle referrers when any exist, else legacy tags — what cosign v3 does */
  format?: 'auto' | 'bundle' | 'legacy';
}

const BUNDLE_PREFIX = 'application/vnd.dev.sigstore.bundle';

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface Found {
  source: string;
  /** unsigned hint (annotation) until verified */
  predicateType?: string;
  check: (ctx: CheckContext) => SignatureCheck;
}

interface CheckContext {
  policy: TrustPolicy;
  trustedRoot?: TrustedRoot;
}

async function bundleReferrers(store: ArtifactStore, digest: Digest): Promise<Found[]> {
  const found: Found[] = [];
  for (const d of await store.listReferrers(digest)) {
    if (d.artifactType && !d.artifactType.startsWith(BUNDLE_PREFIX)) continue;
    const stored = await store.getManifest({ digest: d.digest });
    if (!stored) continue;
    let layer: Descriptor | undefined;
    let hint: string | undefined;
    try {
      const m = parseImageManifest(stored.bytes);
      const layers = m.layers.filter((l) => l.mediaType.startsWith(BUNDLE_PREFIX));
      if (layers.length !== 1) continue;
      layer = layers[0];
      hint = m.annotations?.[BundleAnnotation.predicateType];
    } catch {
      continue;
    }
    const source = `referrer ${d.digest}`;
    found.push(
      await readFound(store, layer as Descriptor, 'bundle', source, hint, (bundle, ctx) => ({
        bundle,
        policy: ctx.policy,
        digest,
      })),
    );
  }
  return found;
}

async function legacyLayers(store: ArtifactStore, digest: Digest, suffix: 'sig' | 'att'): Promise<Found[]> {
  const tag = legacyTag(digest, suffix);
  const stored = await store.getManifest({ tag });
  if (!stored) return [];
  const manifest = parseImageManifest(stored.bytes);
  const found: Found[] = [];
  for (const [i, layer] of manifest.layers.entries()) {
    const source = `${tag} layer ${i}`;
    const hint = layer.annotations?.predicateType;
    found.push(
      await readFound(store, layer, 'legacy', source, hint, (bytes, ctx) => {
        const bundle = bundleFromLegacyLayer(layer, bytes);
        if (suffix === 'att') {
          const timestamps = legacyEnvelopeTimestamps(layer);
          return {
            bundle,
            policy: ctx.policy,
            digest,
            ...(timestamps.length ? { envelopeTimestamps: { envelope: bytes, timestamps } } : {}),
          };
        }
        const payload = parseSimpleSigning(bytes);
        if (payload.digest !== digest) {
          throw new SigstoreError('VERIFICATION_FAILED', `payload names ${payload.digest}, not ${digest}`);
        }
        return { bundle, policy: ctx.policy, artifact: bytes };
      }),
    );
  }
  return found;
}

/**
 * A candidate whose blob is read now, so checking it needs no more I/O; a blob that cannot be read
 * becomes a failed check that says why. `options` turns the blob into what `verifyBundle` takes.
 */
async function readFound(
  store: ArtifactStore,
  descriptor: Descriptor,
  format: SignatureCheck['format'],
  source: string,
  hint: string | undefined,
  options: (blob: Uint8Array, ctx: CheckContext) => Parameters<typeof verifyBundle>[0],
): Promise<Found> {
  let blob: Uint8Array | undefined;
  let readError: unknown;
  try {
    blob = await store.getBlob(descriptor);
  } catch (e) {
    readError = e;
  }
  const what = format === 'bundle' ? 'bundle' : 'layer';
  return {
    source,
    ...(hint ? { predicateType: hint } : {}),
    check: (ctx) => {
      if (!blob) return failed(format, source, hint, `reading ${what}: ${reason(readError)}`);
      const bytes = blob;
      return run(format, source, hint, ctx, () => options(bytes, ctx));
    },
  };
}

function failed(
  format: SignatureCheck['format'],
  source: string,
  hint: string | undefined,
  failure: string,
): SignatureCheck {
  return {
    format,
    source,
    ...(hint ? { predicateType: hint } : {}),
    verified: false,
    tlogEntries: [],
    rfc3161Timestamps: [],
    failure,
  };
}

function run(
  format: SignatureCheck['format'],
  source: string,
  hint: string | undefined,
  ctx: CheckContext,
  options: () => Parameters<typeof verifyBundle>[0],
): SignatureCheck {
  try {
    const opts = options();
    const r = verifyBundle(ctx.trustedRoot ? { ...opts, trustedRoot: ctx.trustedRoot } : opts);
    return {
      format,
      source,
      ...(r.statement ? { predicateType: r.statement.predicateType } : {}),
      verified: true,
      ...(r.signer ? { signer: r.signer } : {}),
      ...(r.publicKey ? { publicKey: r.publicKey } : {}),
      tlogEntries: r.tlogEntries,
      rfc3161Timestamps: r.rfc3161Timestamps,
    };
  } catch (e) {
    if (e instanceof SigstoreError && e.code === 'INVALID_ARGUMENT') throw e;
    return failed(format, source, hint, reason(e));
  }
}

async function collect(target: ResolvedTarget, format: VerifyImageOptions['format']) {
  const store = target.signatureStore;
  if (format !== 'legacy') {
    const bundles = await bundleReferrers(store, target.digest);
    if (bundles.length || format === 'bundle') {
      const isSig = (f: Found) =>
        (f.predicateType ?? COSIGN_SIGN_PREDICATE_TYPE) === COSIGN_SIGN_PREDICATE_TYPE;
      return {
        format: 'bundle' as const,
        signatures: bundles.filter(isSig),
        attestations: bundles.filter((f) => !isSig(f)),
      };
    }
  }
  const signatures = await legacyLayers(store, target.digest, 'sig');
  const attestations = await legacyLayers(store, target.digest, 'att');
  const none = !signatures.length && !attestations.length;
  return { format: none ? ('none' as const) : ('legacy' as const), signatures, attestations };
}

/**
 * Verifies an image's signatures (and required attestations) against a trusted root and a policy:
 * resolves a tag to its digest, reads referrer bundles first and legacy `.sig`/`.att` tags otherwise
 * (as cosign v3), and returns a report instead of throwing when verification fails. Only bad input
 * (invalid policy, unreachable registry) throws.
 */
export async function verifyImage(options: VerifyImageOptions): Promise<VerificationReport> {
  const { policy } = options;
  if (!policy.certificate === !policy.publicKey) {
    throw new SigstoreError(
      'INVALID_ARGUMENT',
      'verifying image: the policy needs a certificate identity or a public key',
    );
  }
  if (!options.trustedRoot && !(policy.publicKey && (policy.tlogThreshold ?? 1) === 0)) {
    throw new SigstoreError(
      'INVALID_ARGUMENT',
      'verifying image: a trusted root is required for this policy',
    );
  }
  const target = await resolveTarget(options.image, options.signatureRepository);
  const found = await collect(target, options.format ?? 'auto');
  const ctx: CheckContext = {
    policy: options.policy,
    ...(options.trustedRoot ? { trustedRoot: options.trustedRoot } : {}),
  };
  // The referrer's predicate annotation is unsigned: a signature must also *say* it is one.
  const signatures = found.signatures.map((f) => {
    const c = f.check(ctx);
    if (c.format === 'bundle' && c.verified && c.predicateType !== COSIGN_SIGN_PREDICATE_TYPE) {
      return failed(
        'bundle',
        c.source,
        c.predicateType,
        `statement predicate ${c.predicateType} is not a signature`,
      );
    }
    return c;
  });
  const attestations = found.attestations.map((f) => f.check(ctx));
  const failures: string[] = [];
  const good = signatures.filter((s) => s.verified);
  if (!signatures.length)
    failures.push(`no signatures found for ${target.canonical} in ${target.signatureStore.name}`);
  else if (!good.length) failures.push(`none of ${signatures.length} signatures verified`);
  for (const s of signatures) if (!s.verified) failures.push(`${s.source}: ${s.failure}`);
  const requiredAttestations = (options.attestations ?? []).map((predicateType) => {
    const satisfied = attestations.some((a) => a.verified && a.predicateType === predicateType);
    if (!satisfied) {
      const tried = attestations.filter((a) => a.predicateType === predicateType && !a.verified);
      failures.push(
        `no verified ${predicateType} attestation${tried.length ? `: ${tried.map((a) => `${a.source}: ${a.failure}`).join('; ')}` : ''}`,
      );
    }
    return { predicateType, satisfied };
  });
  const first = good[0];
  return {
    reference: target.canonical,
    digest: target.digest,
    ...(target.tag ? { tag: target.tag } : {}),
    verified: good.length > 0 && requiredAttestations.every((a) => a.satisfied),
    format: found.format,
    signatures,
    attestations,
    requiredAttestations,
    ...(first?.signer ? { signer: first.signer } : {}),
    ...(first?.tlogEntries[0] ? { logIndex: first.tlogEntries[0].logIndex } : {}),
    failures,
  };
}

/** Throws `VERIFICATION_FAILED` (listing the report's failures) unless the report verified. */
export function assertVerified(report: VerificationReport): VerificationReport {
  if (!report.verified) {
    throw new SigstoreError(
      'VERIFICATION_FAILED',
      `verifying ${report.reference}: ${report.failures.join('; ')}`,
    );
  }
  return report;
}
