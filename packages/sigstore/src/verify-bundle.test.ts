import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CertificateIdentityPolicy } from './identity-policy.js';
import { SigstoreError } from './sigstore-error.js';
import { parseTrustedRoot } from './trusted-root.js';
import { verifyBundle } from './verify-bundle.js';

const cosignDir = new URL('../../../../shared/conformance/cosign/', import.meta.url);
const bundle = readFileSync(new URL('oci-attestation.sigstore.json', cosignDir));
const trustedRoot = parseTrustedRoot(readFileSync(new URL('trusted_root_pgi.json', cosignDir)));
const DIGEST = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const SUBJECT = 'cody@soyland.com';
const ISSUER = 'https://github.com/login/oauth';

const certificate = (
  over: Partial<CertificateIdentityPolicy['identities'][0]> = {},
): CertificateIdentityPolicy => ({
  identities: [{ subject: SUBJECT, issuer: ISSUER, ...over }],
});

function failure(fn: () => unknown): SigstoreError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SigstoreError);
    return e as SigstoreError;
  }
  throw new Error('expected a SigstoreError');
}

describe("cosign's oci-attestation.sigstore.json", () => {
  it('verifies against trusted_root_pgi.json and the digest in its statement', () => {
    const r = verifyBundle({ bundle, trustedRoot, digest: DIGEST, policy: { certificate: certificate() } });
    expect(r.signer).toMatchObject({ subject: SUBJECT, issuer: ISSUER });
    expect(r.content).toBe('dsse-envelope');
    expect(r.statement?.predicateType).toBe('https://cosign.sigstore.dev/attestation/v1');
    expect(r.tlogEntries).toEqual([expect.objectContaining({ logIndex: 175508996, kind: 'dsse/0.0.1' })]);
  });

  it('fails for any other digest', () => {
    const other = `sha256:${'0'.repeat(63)}1`;
    const e = failure(() =>
      verifyBundle({ bundle, trustedRoot, digest: other, policy: { certificate: certificate() } }),
    );
    expect(e.code).toBe('VERIFICATION_FAILED');
    expect(e.message).toMatch(/subject does not name/);
    const flipped = DIGEST.replace(/.$/, '5');
    expect(() =>
      verifyBundle({ bundle, trustedRoot, digest: flipped, policy: { certificate: certificate() } }),
    ).toThrow(SigstoreError);
  });

  it('requires a digest or artifact to bind a DSSE statement to', () => {
    expect(
      failure(() => verifyBundle({ bundle, trustedRoot, policy: { certificate: certificate() } })).message,
    ).toMatch(/no digest/);
  });

  it('checks the predicate type when asked', () => {
    const ok = { bundle, trustedRoot, digest: DIGEST, policy: { certificate: certificate() } };
    expect(
      verifyBundle({ ...ok, predicateType: 'https://cosign.sigstore.dev/attestation/v1' }).signer,
    ).toBeDefined();
    expect(
      failure(() => verifyBundle({ ...ok, predicateType: 'https://spdx.dev/Document' })).message,
    ).toMatch(/predicate type/);
  });

  it('matches identities exactly or by anchored regular expression, never unanchored', () => {
    const run = (policy: CertificateIdentityPolicy) =>
      verifyBundle({ bundle, trustedRoot, digest: DIGEST, policy: { certificate: policy } });
    expect(run(certificate({ subject: undefined, subjectRegExp: '.*@soyland\\.com' })).signer?.subject).toBe(
      SUBJECT,
    );
    expect(
      run(certificate({ issuer: undefined, issuerRegExp: 'https://github\\.com/.*' })).signer?.issuer,
    ).toBe(ISSUER);
    // sigstore-js would accept these substring matches; we must not.
    expect(failure(() => run(certificate({ subject: undefined, subjectRegExp: 'soyland' }))).code).toBe(
      'POLICY_MISMATCH',
    );
    expect(
      failure(() => run(certificate({ subject: undefined, subjectRegExp: 'cody@soyland.co' }))).code,
    ).toBe('POLICY_MISMATCH');
    expect(failure(() => run(certificate({ issuer: undefined, issuerRegExp: 'github' }))).code).toBe(
      'POLICY_MISMATCH',
    );
    expect(failure(() => run(certificate({ subject: 'cody@soyland.co' }))).code).toBe('POLICY_MISMATCH');
    expect(
      failure(() => run(certificate({ issuer: 'https://token.actions.githubusercontent.com' }))).code,
    ).toBe('POLICY_MISMATCH');
    // any one of several identities may match
    expect(
      run({
        identities: [
          { subject: 'x@y', issuer: ISSUER },
          { subject: SUBJECT, issuer: ISSUER },
        ],
      }).signer?.subject,
    ).toBe(SUBJECT);
  });

  it('rejects a policy identity without an issuer', () => {
    expect(
      failure(() =>
        verifyBundle({
          bundle,
          trustedRoot,
          digest: DIGEST,
          policy: { certificate: { identities: [{ subject: SUBJECT }] } },
        }),
      ).code,
    ).toBe('INVALID_ARGUMENT');
  });

  it('checks GitHub workflow extensions the certificate does not carry', () => {
    const e = failure(() =>
      verifyBundle({
        bundle,
        trustedRoot,
        digest: DIGEST,
        policy: { certificate: { ...certificate(), github: { repository: 'sigstore/cosign' } } },
      }),
    );
    expect(e.message).toMatch(/github workflow repository is absent/);
  });

  it('fails with a key policy against a certificate bundle', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    const e = failure(() =>
      verifyBundle({ bundle, trustedRoot, digest: DIGEST, policy: { publicKey: pem.toString() } }),
    );
    expect(e.message).toMatch(/expects a key/);
  });

  it('rejects malformed bundles clearly', () => {
    const policy = { certificate: certificate() };
    expect(
      failure(() => verifyBundle({ bundle: '{not json', trustedRoot, digest: DIGEST, policy })).code,
    ).toBe('BUNDLE_INVALID');
    const broken = JSON.parse(bundle.toString());
    delete broken.verificationMaterial;
    expect(failure(() => verifyBundle({ bundle: broken, trustedRoot, digest: DIGEST, policy })).code).toBe(
      'BUNDLE_INVALID',
    );
  });
});

describe('trusted roots', () => {
  it('rejects a root whose CA has no validity start', () => {
    const json = JSON.parse(readFileSync(new URL('trusted_root_pgi.json', cosignDir), 'utf8'));
    delete json.certificateAuthorities[0].validFor.start;
    expect(failure(() => parseTrustedRoot(json)).code).toBe('TRUSTED_ROOT_INVALID');
  });

  it('rejects a log key whose validity ends before it starts', () => {
    const json = JSON.parse(readFileSync(new URL('trusted_root_pgi.json', cosignDir), 'utf8'));
    json.tlogs[0].publicKey.validFor = { start: '2024-01-01T00:00:00Z', end: '2023-01-01T00:00:00Z' };
    expect(failure(() => parseTrustedRoot(json)).message).toMatch(/ends before it starts/);
  });

  it('rejects a bundle signed before the only Fulcio CA became valid', () => {
    const json = JSON.parse(readFileSync(new URL('trusted_root_pgi.json', cosignDir), 'utf8'));
    for (const ca of json.certificateAuthorities) ca.validFor = { start: '2030-01-01T00:00:00Z' };
    const root = parseTrustedRoot(json);
    expect(
      failure(() =>
        verifyBundle({ bundle, trustedRoot: root, digest: DIGEST, policy: { certificate: certificate() } }),
      ).code,
    ).toBe('VERIFICATION_FAILED');
  });
});
