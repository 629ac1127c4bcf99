import { defineSpec } from '../define-step.js';

/** Kubernetes admission policies for the identity the pipeline signs with (CLI only). */
export const policySpec = /* @__PURE__ */ defineSpec({
  name: 'policy',
  description:
    'Write a Kyverno ClusterPolicy or a policy-controller ClusterImagePolicy requiring our signatures.',
  surfaces: ['cli'],
  inputs: {
    images: {
      type: 'list',
      required: true,
      description: 'Image patterns the policy applies to, e.g. ghcr.io/org/app*.',
    },
    'certificate-identity': { type: 'string', description: 'Signer identity (SAN) to require.' },
    'certificate-identity-regexp': {
      type: 'string',
      description: 'Regular expression for the signer identity.',
    },
    'certificate-oidc-issuer': { type: 'string', description: 'OIDC issuer to require.' },
    key: { type: 'string', description: 'Cosign public key (PEM contents or path) to require instead.' },
    'require-attestation': {
      type: 'list',
      description: 'Predicate types to require (spdx, cyclonedx, slsa, URI).',
    },
    format: {
      type: 'enum',
      options: ['kyverno', 'policy-controller'],
      default: 'kyverno',
      description: 'Policy engine.',
    },
    name: { type: 'string', default: 'kaniko-ts-signed-images', description: 'metadata.name of the policy.' },
    output: { type: 'string', description: 'File to write (default: standard output).' },
  },
  outputs: {
    'policy-path': { description: 'Path of the written policy, empty when printed.' },
  },
});
