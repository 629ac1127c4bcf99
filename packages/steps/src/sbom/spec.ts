import { defineSpec } from '../define-step.js';
import { registryInputs } from '../internal/common-inputs.js';

/** SBOM of an image without signing it (CLI only). */
export const sbomSpec = /* @__PURE__ */ defineSpec({
  name: 'sbom',
  description: 'Write the SBOM of an image, an OCI layout or a docker-archive tarball.',
  surfaces: ['cli'],
  inputs: {
    image: { type: 'string', description: 'Image reference to catalog.' },
    'oci-layout-path': { type: 'string', description: 'OCI layout directory to catalog instead.' },
    'tar-path': { type: 'string', description: 'docker-archive tarball to catalog instead.' },
    'sbom-format': {
      type: 'enum',
      options: ['spdx-json', 'cyclonedx-json'],
      default: 'spdx-json',
      description: 'SBOM format.',
    },
    output: { type: 'string', description: 'File to write (default: standard output).' },
    ...registryInputs,
  },
  outputs: {
    'sbom-path': { description: 'Path of the SBOM, empty when printed.' },
    packages: { description: 'Number of packages found.' },
  },
});
