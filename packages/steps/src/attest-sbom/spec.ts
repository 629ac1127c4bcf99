import { defineSpec } from '../define-step.js';
import { pushedImageInput, registryInputs, signingInputs } from '../internal/common-inputs.js';

/** The attest-sbom step: SBOM of the image, in a signed in-toto statement attached to it. */
export const attestSbomSpec = /* @__PURE__ */ defineSpec({
  name: 'attest-sbom',
  description:
    'Generate the image SBOM (SPDX 2.3 or CycloneDX 1.6), sign it as an in-toto attestation and attach it.',
  inputs: {
    image: pushedImageInput('Image to attest, preferably by digest (repo@sha256:…).'),
    'sbom-format': {
      type: 'enum',
      options: ['spdx-json', 'cyclonedx-json'],
      default: 'spdx-json',
      description: 'SBOM format (predicate type https://spdx.dev/Document or https://cyclonedx.org/bom).',
    },
    predicate: {
      type: 'string',
      description: 'Existing SBOM file to attest instead of generating one from the image.',
    },
    'output-file': {
      type: 'string',
      description: 'Where to write the SBOM (default: sbom.<format>.json in the temp dir).',
    },
    ...signingInputs,
    ...registryInputs,
  },
  outputs: {
    digest: { description: 'Digest that was attested.', env: 'KANIKO_TS_DIGEST' },
    'image-ref': { description: 'repo@digest that was attested.', env: 'KANIKO_TS_IMAGE_REF' },
    'attestation-ref': { description: 'Where the attestation was stored.', env: 'KANIKO_TS_ATTESTATION_REF' },
    'predicate-type': { description: 'Predicate type of the attestation.' },
    'sbom-path': { description: 'Path of the SBOM file.' },
    'bundle-path': { description: 'Local copy of the attestation bundle (JSON).' },
    'rekor-log-index': { description: 'Rekor log index of the entry, empty without tlog upload.' },
    packages: { description: 'Number of packages in the SBOM.' },
  },
});
