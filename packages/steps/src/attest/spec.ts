import { defineSpec } from '../define-step.js';
import { IMAGE_REF_REGEX, registryInputs, signingInputs } from '../internal/common-inputs.js';

/** Any in-toto predicate, signed and attached (CLI only; attest-sbom is the SBOM special case). */
export const attestSpec = /* @__PURE__ */ defineSpec({
  name: 'attest',
  description: 'Sign an arbitrary in-toto predicate about an image and attach it.',
  surfaces: ['cli'],
  inputs: {
    image: { type: 'string', required: true, regex: IMAGE_REF_REGEX, description: 'Image to attest.' },
    predicate: { type: 'string', required: true, description: 'Path of the predicate JSON.' },
    type: {
      type: 'string',
      required: true,
      description: 'Predicate type URI (or spdx, cyclonedx, slsaprovenance, custom).',
    },
    ...signingInputs,
    ...registryInputs,
  },
  outputs: {
    digest: { description: 'Digest that was attested.' },
    'attestation-ref': { description: 'Where the attestation was stored.' },
    'bundle-path': { description: 'Local copy of the attestation bundle.' },
    'rekor-log-index': { description: 'Rekor log index of the entry.' },
  },
});
