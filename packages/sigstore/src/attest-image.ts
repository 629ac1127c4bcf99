import { type ImageTarget, resolveTarget } from './image-target.js';
import { createStatement, IN_TOTO_PAYLOAD_TYPE } from './in-toto-statement.js';
import { chainFromTrustedRoot, leafCertificate } from './internal/certificate-chain.js';
import { type SigningOptions, signingSetup } from './internal/signing-setup.js';
import { writeLegacy } from './internal/write-artifacts.js';
import { envelopeBytes, legacyAttestationLayer } from './legacy-layers.js';
import {
  logIndexOf,
  type SignatureFormat,
  type SignImageResult,
  type StoredSignature,
  signResult,
  writeBundleSignature,
} from './sign-image.js';
import { signDsse, timestampBytes } from './sign-payload.js';
import type { TrustedRoot } from './trusted-root.js';

export interface AttestImageOptions extends SigningOptions {
  image: ImageTarget;
  predicateType: string;
  /** the predicate (any JSON value; an SBOM document for the SBOM step) */
  predicate: unknown;
  signatureRepository?: string;
  /** default both: the legacy `.att` tag and the bundle referrer */
  formats?: SignatureFormat[];
  trustedRoot?: TrustedRoot;
  now?: () => Date;
}

/**
 * Attests an image: an in-toto v1 statement (subject = repository name + digest) in one DSSE
 * envelope, stored as the legacy `.att` layer (byte-identical to the envelope logged in Rekor) and as
 * a referrer bundle with the `dev.sigstore.bundle.*` annotations. Signing completes before writing.
 */
export async function attestImage(options: AttestImageOptions): Promise<SignImageResult> {
  const formats = options.formats ?? ['legacy', 'bundle'];
  const target = await resolveTarget(options.image, options.signatureRepository);
  const { signer, witnesses } = signingSetup(options);
  const statement = createStatement({
    digest: target.digest,
    predicateType: options.predicateType,
    predicate: options.predicate,
    name: target.repositoryName,
  });
  const bundle = await signDsse(
    Buffer.from(JSON.stringify(statement)),
    IN_TOTO_PAYLOAD_TYPE,
    signer,
    witnesses,
  );

  // cosign timestamps a legacy .att over the whole envelope: get that before anything is written.
  const tsaURL = options.witnesses?.tsaURL;
  const envelopeTimestamp =
    formats.includes('legacy') && tsaURL
      ? await timestampBytes(envelopeBytes(bundle), { ...options.witnesses, tsaURL })
      : undefined;

  const signatures: StoredSignature[] = [];
  if (formats.includes('legacy')) {
    const leaf = leafCertificate(bundle);
    const chainPem = leaf ? chainFromTrustedRoot(leaf, options.trustedRoot) : undefined;
    const layer = legacyAttestationLayer(bundle, {
      ...(chainPem ? { chainPem } : {}),
      ...(envelopeTimestamp ? { envelopeTimestamp } : {}),
    });
    const written = await writeLegacy(target.signatureStore, target.digest, 'att', [layer]);
    signatures.push({
      format: 'legacy',
      store: target.signatureStore.name,
      manifestDigest: written.digest,
      tag: written.tag,
      ...logIndexOf(bundle),
    });
  }
  if (formats.includes('bundle')) {
    signatures.push(await writeBundleSignature(target, bundle, options.predicateType, options.now));
  }
  return signResult(target, signatures, bundle);
}
