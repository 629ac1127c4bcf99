import { createHash } from 'node:crypto';
import type { Digest } from '@kaniko-ts/oci';
import { type Bundle, bundleToJSON } from '@sigstore/bundle';
import { X509Certificate as SigstoreCertificate } from '@sigstore/core';
import { HashAlgorithm, type TrustedRoot } from '@sigstore/protobuf-specs';
import { decodeFulcioExtensions } from './fulcio-extensions.js';
import { type ImageTarget, type ResolvedTarget, resolveTarget } from './image-target.js';
import { COSIGN_SIGN_PREDICATE_TYPE, createStatement, IN_TOTO_PAYLOAD_TYPE } from './in-toto-statement.js';
import { chainFromTrustedRoot, leafCertificate } from './internal/certificate-chain.js';
import { payloadLogHash, type SigningOptions, signingSetup } from './internal/signing-setup.js';
import { writeLegacy, writeReferrer } from './internal/write-artifacts.js';
import { legacySignatureLayer } from './legacy-layers.js';
import { bundleReferrerManifest } from './referrer-manifest.js';
import { signDsse, signMessage } from './sign-payload.js';
import { simpleSigningPayload } from './simple-signing.js';

export type SignatureFormat = 'legacy' | 'bundle';

export interface SignImageOptions extends SigningOptions {
  image: ImageTarget;
  /** another repository for signatures (cosign's `COSIGN_REPOSITORY`); a layout directory for layouts */
  signatureRepository?: string;
  /** default both: the legacy `.sig` tag and the bundle referrer */
  formats?: SignatureFormat[];
  /** cosign `-a` annotations (payload `optional` / statement subject annotations) */
  annotations?: Record<string, string>;
  /** for the `dev.sigstore.cosign/chain` annotation (keyless) */
  trustedRoot?: TrustedRoot;
  now?: () => Date;
}

export interface StoredSignature {
  format: SignatureFormat;
  /** where it was written */
  store: string;
  manifestDigest: Digest;
  tag?: string;
  logIndex?: number;
}

export interface SignImageResult {
  /** `name@digest` that was signed */
  reference: string;
  digest: Digest;
  /** the tag the image was named by */
  tag?: string;
  /** keyless: certificate SAN and OIDC issuer */
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  /** Rekor log index of the first signature */
  rekorLogIndex?: number;
  signatures: StoredSignature[];
  /** every ref written: `repo:sha256-<hex>.sig` and/or `repo@<referrer digest>` */
  signatureRefs: string[];
  /** the Sigstore bundle (JSON) of the bundle-format signature, else of the legacy one */
  bundle: unknown;
}

/** Certificate SAN and issuer of a keyless bundle. */
export function signerOf(bundle: Bundle): { certificateIdentity?: string; certificateOidcIssuer?: string } {
  const leaf = leafCertificate(bundle);
  if (!leaf) return {};
  const cert = SigstoreCertificate.parse(leaf.raw);
  const oids = cert.extensions.map((ext) => ({
    oid: { id: (ext.subs[0]?.toOID() ?? '').split('.').map(Number) },
    value: ext.subs[ext.subs.length - 1]?.value ?? Buffer.alloc(0),
  }));
  const ext = decodeFulcioExtensions(oids);
  const issuer = ext.issuer ?? ext.issuerV1;
  const identity = leaf.subjectAltName?.replace(/^(URI|email):/, '').split(', ')[0];
  return {
    ...(identity ? { certificateIdentity: identity } : {}),
    ...(issuer ? { certificateOidcIssuer: issuer } : {}),
  };
}

export const logIndexOf = (b: Bundle) => {
  const e = b.verificationMaterial.tlogEntries[0];
  return e ? { logIndex: Number(e.logIndex) } : {};
};

/**
 * Stores a Sigstore bundle as an OCI 1.1 referrer of the image (with the tag-schema fallback) and
 * returns the signature record — the bundle-format half of both `signImage` and `attestImage`.
 */
export async function writeBundleSignature(
  target: ResolvedTarget,
  bundle: Bundle,
  predicateType: string,
  now: (() => Date) | undefined,
): Promise<StoredSignature> {
  const referrer = bundleReferrerManifest({
    bundle: Buffer.from(JSON.stringify(bundleToJSON(bundle))),
    predicateType,
    subject: target.subject,
    created: (now ?? (() => new Date()))(),
  });
  const digest = await writeReferrer(target.signatureStore, target.digest, referrer);
  return {
    format: 'bundle',
    store: target.signatureStore.name,
    manifestDigest: digest,
    ...logIndexOf(bundle),
  };
}

/** Assembles the result both `signImage` and `attestImage` return. */
export function signResult(
  target: { canonical: string; digest: Digest; tag?: string },
  signatures: StoredSignature[],
  bundle: Bundle,
): SignImageResult {
  const rekorLogIndex = signatures.find((s) => s.logIndex !== undefined)?.logIndex;
  return {
    reference: target.canonical,
    digest: target.digest,
    ...(target.tag ? { tag: target.tag } : {}),
    ...signerOf(bundle),
    ...(rekorLogIndex !== undefined ? { rekorLogIndex } : {}),
    signatures,
    signatureRefs: signatures.map((s) => (s.tag ? `${s.store}:${s.tag}` : `${s.store}@${s.manifestDigest}`)),
    bundle: bundleToJSON(bundle),
  };
}

/**
 * A payload logged under SHA-384/512 gets that message digest in its bundle too (sigstore-js's
 * builder always writes SHA-256), so the bundle agrees with its Rekor entry.
 */
function withLoggedDigest(
  bundle: Bundle,
  payload: Uint8Array,
  hash: 'sha384' | 'sha512' | undefined,
): Bundle {
  if (!hash || bundle.content.$case !== 'messageSignature' || !bundle.verificationMaterial.tlogEntries.length)
    return bundle;
  const algorithm = hash === 'sha384' ? HashAlgorithm.SHA2_384 : HashAlgorithm.SHA2_512;
  const digest = createHash(hash).update(payload).digest();
  return {
    ...bundle,
    content: {
      $case: 'messageSignature',
      messageSignature: { ...bundle.content.messageSignature, messageDigest: { algorithm, digest } },
    },
  };
}

/**
 * Signs an image digest as cosign does, in both storage formats by default: the simple-signing
 * payload as a legacy `sha256-<hex>.sig` layer, and an in-toto statement (predicate
 * `https://sigstore.dev/cosign/sign/v1`) in a Sigstore bundle attached as an OCI 1.1 referrer. A tag
 * is resolved to its digest first. All signing (Fulcio, Rekor, TSA) completes before anything is
 * written, so a failed service leaves the registry untouched.
 */
export async function signImage(options: SignImageOptions): Promise<SignImageResult> {
  const formats = options.formats ?? ['legacy', 'bundle'];
  const target = await resolveTarget(options.image, options.signatureRepository);
  const { signer, payloadSigner, witnesses, payloadWitnesses } = signingSetup(options);

  let legacy: { payload: Uint8Array; bundle: Bundle } | undefined;
  if (formats.includes('legacy')) {
    const payload = simpleSigningPayload({
      dockerReference: target.repositoryName,
      digest: target.digest,
      ...(options.annotations ? { annotations: options.annotations } : {}),
    });
    const bundle = await signMessage(payload, payloadSigner, payloadWitnesses(payload));
    legacy = { payload, bundle: withLoggedDigest(bundle, payload, payloadLogHash(options.key)) };
  }
  let dsse: Bundle | undefined;
  if (formats.includes('bundle')) {
    const statement = createStatement({
      digest: target.digest,
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      predicate: {},
      ...(options.annotations ? { annotations: options.annotations } : {}),
    });
    dsse = await signDsse(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, signer, witnesses);
  }

  const signatures: StoredSignature[] = [];
  if (legacy) {
    const leaf = leafCertificate(legacy.bundle);
    const chainPem = leaf ? chainFromTrustedRoot(leaf, options.trustedRoot) : undefined;
    const layer = legacySignatureLayer(legacy.payload, legacy.bundle, chainPem ? { chainPem } : {});
    const written = await writeLegacy(target.signatureStore, target.digest, 'sig', [layer]);
    signatures.push({
      format: 'legacy',
      store: target.signatureStore.name,
      manifestDigest: written.digest,
      tag: written.tag,
      ...logIndexOf(legacy.bundle),
    });
  }
  if (dsse)
    signatures.push(await writeBundleSignature(target, dsse, COSIGN_SIGN_PREDICATE_TYPE, options.now));
  return signResult(target, signatures, (dsse ?? legacy?.bundle) as Bundle);
}
