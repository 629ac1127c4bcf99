import { defineSpec } from '../define-step.js';
import { IMAGE_REF_REGEX, registryInputs, signingInputs } from '../internal/common-inputs.js';

/** Any in-toto predicate, signed and attached (CLI only; attest-sbom is the SBOM special case). */
export const attestSpec = /* @__PURE__ */ defineSpec({
  name: 'attest',
  description: 'Sign an arbitrary in-toto predicate about an image and attach it.',
  surfaces: ['cli'],
  inputs: {
    image: { type: 'string', required: true, regex: IMAGE_REF_REGEX, description: 'Image to attest.' },
    predicate: {
      type: 'string',
      description:
        'Path of the predicate JSON. Without it, type slsa attests SLSA v1 provenance of the CI run (as actions/attest does).',
    },
    type: {
      type: 'string',
      required: true,
      description:
        "Predicate type URI, or a short name: slsa (SLSA v1 provenance), spdx, cyclonedx, or cosign's --type names (slsaprovenance1, slsaprovenance = v0.2, custom, vuln, openvex, link).",
    },
    context: {
      type: 'string',
      description: 'For generated provenance: the build context directory, recorded by digest.',
    },
    dockerfile: {
      type: 'string',
      description: 'For generated provenance: the Dockerfile, recorded by path and digest.',
    },
    ...signingInputs,
    ...registryInputs,
  },
  outputs: {
    digest: { description: 'Digest that was attested.' },
    'predicate-type': { description: 'Predicate type URI of the attestation.' },
    'attestation-ref': { description: 'Where the attestation was stored.' },
    'bundle-path': { description: 'Local copy of the attestation bundle.' },
    'rekor-log-index': { description: 'Rekor log index of the entry.' },
  },
});
