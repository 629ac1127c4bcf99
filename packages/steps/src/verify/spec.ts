import { defineSpec } from '../define-step.js';
import { pushedImageInput, registryInputs } from '../internal/common-inputs.js';

/** The verify step: the deploy gate. Passes a digest on only when signatures and attestations check out. */
export const verifySpec = /* @__PURE__ */ defineSpec({
  name: 'verify',
  description:
    'Verify signatures, signer identity and required attestations of an image; emit the verified digest.',
  inputs: {
    image: pushedImageInput('Image to verify (repo@sha256:… or repo:tag, resolved to a digest first).'),
    'certificate-identity': {
      type: 'string',
      description:
        'Expected signer identity (SAN). On GitLab defaults to https://<host>/<project>//.gitlab-ci.yml@<ref>.',
    },
    'certificate-identity-regexp': {
      type: 'string',
      description: 'Regular expression the signer identity must match.',
    },
    'certificate-oidc-issuer': {
      type: 'string',
      description: 'Expected OIDC issuer (on GitHub: https://token.actions.githubusercontent.com).',
    },
    'certificate-oidc-issuer-regexp': {
      type: 'string',
      description: 'Regular expression the issuer must match.',
    },
    key: {
      type: 'string',
      env: 'COSIGN_PUBLIC_KEY',
      description: 'Cosign public key (PEM contents or path) instead of a certificate identity.',
    },
    'require-attestation': {
      type: 'list',
      description:
        'Predicate types that must be attested by the same signer: spdx, cyclonedx, slsa or a URI.',
    },
    'trusted-root': {
      type: 'string',
      description: 'Sigstore trusted_root.json (default: the public-good instance via TUF).',
    },
    'rekor-url': {
      type: 'string',
      default: 'https://rekor.sigstore.dev',
      description: 'Rekor transparency log.',
    },
    'ignore-tlog': {
      type: 'boolean',
      default: false,
      description: 'Accept signatures without a Rekor entry.',
    },
    'signature-repository': {
      type: 'string',
      env: 'COSIGN_REPOSITORY',
      description: 'Repository holding signatures (default: the image repository).',
    },
    'policy-output': {
      type: 'string',
      description: 'Also write an admission policy for this identity to this file.',
    },
    'policy-format': {
      type: 'enum',
      options: ['kyverno', 'policy-controller'],
      default: 'kyverno',
      description: 'Format of policy-output.',
    },
    ...registryInputs,
  },
  outputs: {
    verified: { description: '"true" when every check passed (the step fails otherwise).' },
    digest: { description: 'Verified digest.', env: 'KANIKO_TS_VERIFIED_DIGEST' },
    'image-ref': {
      description: 'Verified repo@digest: deploy exactly this.',
      env: 'KANIKO_TS_VERIFIED_IMAGE_REF',
    },
    'certificate-identity': { description: 'Identity of the accepted signature.' },
    attestations: { description: 'Predicate types found and verified, comma-separated.' },
    report: { description: 'Verification report as JSON.' },
    'policy-path': { description: 'Path of the written admission policy, if requested.' },
  },
});
