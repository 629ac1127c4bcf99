import { defineSpec } from '../define-step.js';
import { registryInputs, signingInputs } from '../internal/common-inputs.js';

/** The build step: kaniko's executor flag set, plus one-step signing and SBOM attestation. */
export const buildSpec = /* @__PURE__ */ defineSpec({
  name: 'build',
  description: 'Build a container image from a Dockerfile without a Docker daemon and push it.',
  inputs: {
    context: {
      type: 'string',
      default: '.',
      short: 'c',
      description: 'Build context: a directory, or a .tar / .tar.gz file.',
    },
    'context-sub-path': { type: 'string', description: 'Sub-directory of the context to build from.' },
    file: {
      type: 'string',
      flag: 'dockerfile',
      short: 'f',
      description: 'Path of the Dockerfile (default: <context>/Dockerfile).',
    },
    tags: {
      type: 'list',
      flag: 'destination',
      short: 'd',
      gitlabDefault: '$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA',
      description: 'Image references to push (repeatable), e.g. ghcr.io/org/app:1.2.',
    },
    push: {
      type: 'boolean',
      default: true,
      description: 'Push the image to the tags. On the CLI, --no-push turns it off.',
    },
    'no-push-cache': {
      type: 'boolean',
      default: false,
      description: 'Use the layer cache read-only: cached layers are used, no new ones are pushed.',
    },
    'tar-path': { type: 'string', description: 'Also write the image as a docker-archive tarball here.' },
    'oci-layout-path': {
      type: 'string',
      description: 'Also write the image into an OCI layout directory here.',
    },
    'build-args': {
      type: 'list',
      flag: 'build-arg',
      separator: 'newline',
      description: 'Build arguments KEY=value (KEY alone takes the value from the environment).',
    },
    target: { type: 'string', description: 'Stage to build (default: the last one).' },
    labels: {
      type: 'list',
      flag: 'label',
      separator: 'newline',
      description: 'Image labels KEY=value.',
    },
    annotations: {
      type: 'list',
      flag: 'annotation',
      separator: 'newline',
      description: 'Manifest annotations KEY=value.',
    },
    platform: {
      type: 'string',
      flag: 'custom-platform',
      regex: '^$|^[a-z0-9]+/[a-z0-9]+(/[a-z0-9]+)?$',
      description:
        "Target platform os/arch[/variant] (default: the runner's). No emulation: use native runners.",
    },
    reproducible: {
      type: 'boolean',
      default: false,
      description: 'Strip timestamps for a reproducible image.',
    },
    'image-format': {
      type: 'enum',
      options: ['oci', 'docker'],
      default: 'oci',
      description: 'Manifest media types of the result.',
    },
    compression: {
      type: 'enum',
      options: ['gzip', 'zstd'],
      default: 'gzip',
      description: 'Layer compression.',
    },
    'compression-level': {
      type: 'number',
      description: "Compression level (default: the algorithm's default).",
    },
    cache: { type: 'boolean', default: false, description: 'Reuse layers from the layer cache.' },
    'cache-repo': {
      type: 'string',
      description:
        'Registry repository of the layer cache (default: <destination>/cache; oci:/path for a local layout).',
    },
    'cache-dir': {
      type: 'string',
      description: 'Local cache directory for base images and layers (on GitHub, saved with @actions/cache).',
    },
    'cache-ttl': {
      type: 'string',
      default: '336h',
      description: 'Maximum age of cached layers (Go duration).',
    },
    'cache-copy-layers': { type: 'boolean', default: false, description: 'Cache COPY layers too.' },
    'cache-run-layers': { type: 'boolean', default: true, description: 'Cache RUN layers.' },
    'snapshot-mode': {
      type: 'enum',
      options: ['full', 'redo', 'time'],
      default: 'full',
      description: 'How file changes are detected after RUN.',
    },
    'single-snapshot': {
      type: 'boolean',
      default: false,
      description: 'Take one snapshot at the end of the build.',
    },
    'ignore-path': {
      type: 'list',
      description:
        'Paths left out of snapshots (repeatable); building in place, also never cleaned between stages.',
    },
    executor: {
      type: 'enum',
      options: ['auto', 'chroot', 'in-place'],
      default: 'auto',
      description:
        "How RUN executes: chroot (namespaces, a root per stage), in-place (kaniko mode: the container's own / is the build root, for unprivileged job containers), or auto (chroot where namespaces work, else in-place in a container).",
    },
    force: {
      type: 'boolean',
      default: false,
      description: 'Build in place even where nothing says this is a container (it replaces the files of /).',
    },
    'digest-file': { type: 'string', description: 'Write the image digest to this file.' },
    'image-name-with-digest-file': { type: 'string', description: 'Write repo@digest to this file.' },
    'image-name-tag-with-digest-file': { type: 'string', description: 'Write repo:tag@digest to this file.' },
    'skip-push-permission-check': {
      type: 'boolean',
      default: false,
      description: 'Do not check push access before building.',
    },
    'push-retry': { type: 'number', default: 0, description: 'Retries of a failed push.' },
    'image-download-retry': {
      type: 'number',
      default: 0,
      description: 'Retries of a failed base image pull.',
    },
    'dry-run': {
      type: 'boolean',
      default: false,
      aliases: ['dryrun'],
      description: 'Parse and plan the build, print the plan, build nothing.',
    },
    secrets: {
      type: 'list',
      flag: 'secret',
      separator: 'newline',
      description: 'Build secrets for RUN --mount=type=secret: id=ID,src=PATH or id=ID,env=VAR.',
    },
    sbom: {
      type: 'boolean',
      default: false,
      description:
        'After pushing, attach a signed SBOM attestation, catalogued from the layers the build streams (no second pull).',
    },
    'sbom-format': {
      type: 'enum',
      options: ['spdx-json', 'cyclonedx-json'],
      default: 'spdx-json',
      description: 'SBOM format when sbom is true.',
    },
    provenance: {
      type: 'boolean',
      default: false,
      description:
        'After pushing, attach signed SLSA v1 provenance: Dockerfile and context digests, build args (never secrets), base image digests, CI run.',
    },
    sign: { type: 'boolean', default: false, description: 'After pushing, sign the image digest.' },
    ...signingInputs,
    ...registryInputs,
  },
  outputs: {
    image: { description: 'Image name without tag or digest (first destination).', env: 'KANIKO_TS_IMAGE' },
    digest: { description: 'Manifest digest (sha256:…).', env: 'KANIKO_TS_DIGEST' },
    imageid: { description: 'Config digest (the image ID).' },
    'image-ref': { description: 'Digest-pinned reference repo@sha256:….', env: 'KANIKO_TS_IMAGE_REF' },
    tags: { description: 'Pushed references, one per line.' },
    platform: { description: 'Platform of the image (os/arch[/variant]).', env: 'KANIKO_TS_PLATFORM' },
    metadata: { description: 'Build result as JSON (digests, layers, sizes, cache hits, timings).' },
    'signature-ref': { description: 'Signature written when sign is true.', env: 'KANIKO_TS_SIGNATURE_REF' },
    'attestation-ref': {
      description: 'SBOM attestation written when sbom is true.',
      env: 'KANIKO_TS_ATTESTATION_REF',
    },
    'sbom-path': { description: 'SBOM document written when sbom is true.' },
    'provenance-ref': {
      description: 'SLSA provenance attestation written when provenance is true.',
      env: 'KANIKO_TS_PROVENANCE_REF',
    },
  },
});
