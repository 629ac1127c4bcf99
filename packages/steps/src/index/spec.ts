import { defineSpec } from '../define-step.js';
import { registryInputs } from '../internal/common-inputs.js';

/** The index step: one multi-arch index from per-platform images built on native runners. */
export const indexSpec = /* @__PURE__ */ defineSpec({
  name: 'index',
  description: 'Merge per-platform image digests into one multi-arch OCI index, pushed by digest and tag.',
  inputs: {
    sources: {
      type: 'list',
      required: true,
      noEmptyItems: true,
      description: 'Per-platform images by digest (repo@sha256:…), one per line or comma-separated.',
    },
    tags: {
      type: 'list',
      flag: 'destination',
      short: 'd',
      required: true,
      description: 'References to push the index to, e.g. ghcr.io/org/app:1.2.',
    },
    annotations: {
      type: 'list',
      flag: 'annotation',
      separator: 'newline',
      description: 'Index annotations KEY=value.',
    },
    ...registryInputs,
  },
  outputs: {
    image: { description: 'Image name without tag or digest.', env: 'KANIKO_TS_IMAGE' },
    digest: { description: 'Digest of the index.', env: 'KANIKO_TS_DIGEST' },
    'image-ref': { description: 'repo@digest of the index.', env: 'KANIKO_TS_IMAGE_REF' },
    platforms: { description: 'Platforms in the index, comma-separated.' },
    metadata: { description: 'The index manifest as JSON.' },
  },
});
