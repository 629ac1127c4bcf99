import { createHash } from 'node:crypto';
import { type Bundle, bundleFromJSON } from '@sigstore/bundle';
import { dsse, RFC3161Timestamp } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { type SignedEntity, toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { decodeFulcioExtensions } from './fulcio-extensions.js';
import { type CertificateIdentityPolicy, identityFailures, type SignerIdentity } from './identity-policy.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
  parseStatement,
  statementCovers,
} from './in-toto-statement.js';
import { withEnvelopeTimestamps } from './internal/envelope-timestamps.js';
import { verifyKeySignature } from './key-signature.js';
import { loadPublicKey, type VerificationKey } from './public-key.js';
import { SigstoreError } from './sigstore-error.js';

/** Who may have signed, and which evidence is required. */
export interface TrustPolicy {
  /** Keyless: the certificate identity that must have signed. */
  certificate?: CertificateIdentityPolicy;
  /** Key-based: the public key (PEM or loaded) that must have signed. */
  publicKey?: string | VerificationKey;
  /** Transparency-log entries required (default 1; 0 = cosign's `--insecure-ignore-tlog`). */
  tlogThreshold?: number;
  /** RFC 3161 timestamps required (default 0). */
  rfc3161Threshold?: number;
  /** Signed certificate timestamps required for keyless (default 1). */
  ctlogThreshold?: number;
}

export interface VerifyBundleOptions {
  /** A Sigstore bundle: parsed JSON, JSON text or bytes. */
  bundle: unknown;
  /** Needed unless the policy is key-only with no log entries. */
  trustedRoot?: TrustedRoot;
  policy: TrustPolicy;
  /** The signed bytes (message signatures), or the statement subject's content (DSSE). */
  artifact?: Uint8Array;
  /** `sha256:<hex>` a DSSE statement must name as subject (an image digest). */
  digest?: string;
  /** Required DSSE predicate type. */
  predicateType?: string;
  /**
   * Legacy `.att` only: RFC 3161 timestamps (DER) over the whole DSSE envelope, as cosign writes them,
   * and the envelope bytes they cover.
   */
  envelopeTimestamps?: { envelope: Uint8Array; timestamps: Uint8Array[] };
}

export interface TlogEntrySummary {
  logIndex: number;
  integratedTime: number;
  /** hex SHA-256 of the log's key */
  logId: string;
  kind: string;
}

/** What a verified bundle proves. */
export interface BundleVerification {
  mediaType: string;
  content: 'message-signature' | 'dsse-envelope';
  /** Set for certificate-signed bundles. */
  signer?: SignerIdentity;
  /** Set for key-signed bundles: the SPKI PEM of the key that verified. */
  publicKey?: string;
  tlogEntries: TlogEntrySummary[];
  /** RFC 3161 signing times, ISO 8601. */
  rfc3161Timestamps: string[];
  statement?: InTotoStatement;
  bundle: Bundle;
}

const OP = 'verifying bundle';
const EMPTY_ROOT = TrustedRoot.fromJSON({
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
});

/** Serializes a bundle to its protobuf-JSON form (what `.sigstore.json` files and referrer layers hold). */
export { bundleToJSON } from '@sigstore/bundle';

/** Parses and structurally validates a Sigstore bundle. */
export function parseBundle(input: unknown): Bundle {
  let json = input;
  try {
    if (typeof input === 'string' || input instanceof Uint8Array) {
      json = JSON.parse(Buffer.from(input).toString('utf8'));
    }
    return bundleFromJSON(json);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SigstoreError('BUNDLE_INVALID', `parsing bundle: ${reason}`, { cause });
  }
}

function fail(reason: string, cause?: unknown): never {
  throw new SigstoreError('VERIFICATION_FAILED', `${OP}: ${reason}`, { cause });
}

function checkStatement(bundle: Bundle, options: VerifyBundleOptions): InTotoStatement | undefined {
  if (bundle.content.$case !== 'dsseEnvelope') {
    if (!options.artifact) fail('a message signature needs the signed artifact');
    if (options.predicateType) fail(`want a ${options.predicateType} attestation, found a message signature`);
    return undefined;
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    fail(`unexpected DSSE payload type ${envelope.payloadType}`);
  let statement: InTotoStatement;
  try {
    statement = parseStatement(envelope.payload);
  } catch (cause) {
    fail('DSSE payload is not an in-toto statement', cause);
  }
  const wanted = [
    ...(options.digest ? [options.digest] : []),
    ...(options.artifact ? [`sha256:${createHash('sha256').update(options.artifact).digest('hex')}`] : []),
  ];
  if (wanted.length === 0) fail('no digest to check the statement subject against');
  for (const digest of wanted) {
    if (!statementCovers(statement, digest)) fail(`statement subject does not name ${digest}`);
  }
  if (options.predicateType && statement.predicateType !== options.predicateType) {
    fail(`predicate type is ${statement.predicateType}, want ${options.predicateType}`);
  }
  return statement;
}

/**
 * Key-signed bundles: the signature is checked with the algorithm cosign pairs with the key
 * ({@link verifyKeySignature}); sigstore-js still does everything else (log entries, timestamps).
 */
function withKeySignatureCheck(entity: SignedEntity, bundle: Bundle, artifact?: Uint8Array): SignedEntity {
  const content = bundle.content;
  const signed =
    content.$case === 'dsseEnvelope'
      ? dsse.preAuthEncoding(content.dsseEnvelope.payloadType, content.dsseEnvelope.payload)
      : artifact;
  const signature =
    content.$case === 'dsseEnvelope'
      ? content.dsseEnvelope.signatures[0]?.sig
      : content.messageSignature.signature;
  const inner = entity.signature;
  return {
    ...entity,
    signature: {
      signature: inner.signature,
      compareSignature: (s) => inner.compareSignature(s),
      compareDigest: (d) => inner.compareDigest(d),
      compareSignedDigest: (d) => inner.compareSignedDigest(d),
      verifySignature: (k) =>
        signed !== undefined && signature !== undefined && verifyKeySignature(k, signed, signature),
    },
  };
}

/**
 * Verifies a Sigstore bundle (v0.1–v0.3, message signature or DSSE) with sigstore-js against a
 * trusted root, then applies what sigstore-js leaves to the caller: anchored identity matching,
 * Fulcio extension checks, key equality, in-toto subject and predicate-type checks.
 */
export function verifyBundle(options: VerifyBundleOptions): BundleVerification {
  const { policy } = options;
  if (!policy.certificate === !policy.publicKey) {
    throw new SigstoreError(
      'INVALID_ARGUMENT',
      `${OP}: the policy needs either a certificate identity or a public key`,
    );
  }
  const bundle = parseBundle(options.bundle);
  const key = typeof policy.publicKey === 'string' ? loadPublicKey(policy.publicKey) : policy.publicKey;
  const tlogThreshold = policy.tlogThreshold ?? 1;
  const root = options.trustedRoot ?? (key && tlogThreshold === 0 ? EMPTY_ROOT : undefined);
  if (!root) throw new SigstoreError('INVALID_ARGUMENT', `${OP}: a trusted root is required`);

  const material = key
    ? toTrustMaterial(root, () => ({ publicKey: key.key, validFor: () => true }))
    : toTrustMaterial(root);
  const verifier = new Verifier(material, {
    tlogThreshold,
    ctlogThreshold: key ? 0 : (policy.ctlogThreshold ?? 1),
    timestampThreshold: key ? 0 : 1,
  });
  const statement = checkStatement(bundle, options);
  const vm = bundle.verificationMaterial.content;
  if (key && vm.$case !== 'publicKey') fail('bundle is signed with a certificate, the policy expects a key');
  if (!key && vm.$case === 'publicKey')
    fail('bundle is signed with a key, the policy expects a certificate identity');

  let signer: ReturnType<Verifier['verify']>;
  try {
    let entity = toSignedEntity(bundle, options.artifact ? Buffer.from(options.artifact) : undefined);
    if (key) entity = withKeySignatureCheck(entity, bundle, options.artifact);
    const extra = options.envelopeTimestamps;
    if (extra?.timestamps.length && bundle.content.$case === 'dsseEnvelope') {
      entity = withEnvelopeTimestamps(entity, extra.envelope, extra.timestamps);
    }
    signer = verifier.verify(entity);
  } catch (cause) {
    const e = cause as { code?: string; message?: string };
    fail(`${e.code ? `${e.code}: ` : ''}${e.message ?? String(cause)}`, cause);
  }

  const timestamps = [
    ...(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []),
    ...(bundle.content.$case === 'dsseEnvelope' ? (options.envelopeTimestamps?.timestamps ?? []) : []).map(
      (der) => ({ signedTimestamp: Buffer.from(der) }),
    ),
  ];
  if (timestamps.length < (policy.rfc3161Threshold ?? 0)) {
    fail(`expected ${policy.rfc3161Threshold} RFC 3161 timestamps, got ${timestamps.length}`);
  }
  const result: BundleVerification = {
    mediaType: bundle.mediaType,
    content: bundle.content.$case === 'dsseEnvelope' ? 'dsse-envelope' : 'message-signature',
    tlogEntries: bundle.verificationMaterial.tlogEntries.map((e) => ({
      logIndex: Number(e.logIndex),
      integratedTime: Number(e.integratedTime),
      logId: Buffer.from(e.logId?.keyId ?? []).toString('hex'),
      kind: `${e.kindVersion?.kind}/${e.kindVersion?.version}`,
    })),
    rfc3161Timestamps: timestamps.map((t) =>
      RFC3161Timestamp.parse(Buffer.from(t.signedTimestamp)).signingTime.toISOString(),
    ),
    ...(statement ? { statement } : {}),
    bundle,
  };
  if (key) return { ...result, publicKey: key.pem };

  const identity: SignerIdentity = {
    subject: signer.identity?.subjectAlternativeName ?? '',
    issuer: signer.identity?.extensions?.issuer ?? '',
    extensions: decodeFulcioExtensions(signer.identity?.oids ?? []),
  };
  const failures = identityFailures(identity, policy.certificate as CertificateIdentityPolicy);
  if (failures.length) {
    throw new SigstoreError('POLICY_MISMATCH', `${OP}: ${failures.join('; ')}`);
  }
  return { ...result, signer: identity };
}
