import type { InputSpec } from '../step-spec.js';

/** Registry connection inputs shared by every step that talks to a registry (kaniko's names). */
export const registryInputs = {
  insecure: {
    type: 'boolean',
    default: false,
    description: 'Push to and pull from the registry over plain HTTP.',
  },
  'insecure-pull': { type: 'boolean', default: false, description: 'Pull base images over plain HTTP.' },
  'insecure-registry': {
    type: 'list',
    description: 'Registries (host[:port]) to reach over plain HTTP.',
  },
  'skip-tls-verify': {
    type: 'boolean',
    default: false,
    description: 'Do not verify the registry TLS certificate.',
  },
  'skip-tls-verify-pull': {
    type: 'boolean',
    default: false,
    description: 'Do not verify TLS certificates when pulling base images.',
  },
  'skip-tls-verify-registry': {
    type: 'list',
    description: 'Registries whose TLS certificate is not verified.',
  },
  'registry-certificate': {
    type: 'list',
    description: 'Extra CA certificate per registry, as host=/path/to/ca.crt.',
  },
  'registry-client-cert': {
    type: 'list',
    description: 'Client certificate per registry for mTLS, as host=/path/cert.pem,/path/key.pem.',
    separator: 'newline',
  },
  'registry-mirror': {
    type: 'list',
    env: 'KANIKO_REGISTRY_MIRROR',
    description: 'Mirrors for docker.io, tried in order before docker.io itself.',
  },
  'registry-map': {
    type: 'list',
    env: 'KANIKO_REGISTRY_MAP',
    description: 'Registry rewrites as original=replacement (any registry, path prefixes allowed).',
    separator: 'newline',
  },
  'registry-username': {
    type: 'string',
    description: 'Username for the target registry (default: docker config.json, then CI credentials).',
  },
  'registry-password': { type: 'secret', description: 'Password or token for the target registry.' },
} as const satisfies Record<string, InputSpec>;

/** Signing inputs shared by sign, attest-sbom and attest (cosign's names where it has one). */
export const signingInputs = {
  key: {
    type: 'secret',
    env: 'COSIGN_PRIVATE_KEY',
    description: 'Cosign private key (PEM contents or a file path). Empty means keyless signing.',
  },
  'key-password': {
    type: 'secret',
    env: 'COSIGN_PASSWORD',
    description: 'Password of the cosign private key.',
  },
  keyless: {
    type: 'boolean',
    default: true,
    description: 'Sign with a short-lived Fulcio certificate for the CI identity when no key is given.',
  },
  'identity-token': {
    type: 'secret',
    env: 'SIGSTORE_ID_TOKEN',
    description:
      'OIDC token for keyless signing (default: the CI provider\'s token with audience "sigstore").',
  },
  'oidc-audience': {
    type: 'string',
    default: 'sigstore',
    description: 'Audience of the requested OIDC token.',
  },
  'fulcio-url': {
    type: 'string',
    default: 'https://fulcio.sigstore.dev',
    description: 'Fulcio certificate authority.',
  },
  'rekor-url': {
    type: 'string',
    default: 'https://rekor.sigstore.dev',
    description: 'Rekor transparency log.',
  },
  'tsa-url': { type: 'string', description: 'RFC 3161 timestamp authority (used instead of or with Rekor).' },
  'tlog-upload': { type: 'boolean', default: true, description: 'Record the signature in the Rekor log.' },
  'signature-repository': {
    type: 'string',
    env: 'COSIGN_REPOSITORY',
    description: 'Repository that stores signatures and attestations (default: the image repository).',
  },
  format: {
    type: 'enum',
    options: ['bundle', 'legacy', 'both'],
    default: 'bundle',
    description:
      'Storage format: Sigstore bundle as an OCI 1.1 referrer (cosign v3), legacy cosign tags (.sig/.att), or both.',
  },
} as const satisfies Record<string, InputSpec>;

/** Pattern a `repo@sha256:…` or `repo:tag` image reference must match (empty allowed for defaults). */
export const IMAGE_REF_REGEX =
  '^$|^[a-z0-9][a-z0-9._:/-]*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$';

/**
 * The `image` input of the steps that act on a pushed image (sign, attest-sbom, verify): required,
 * a reference, and on GitLab the build job's `KANIKO_TS_IMAGE_REF` by default.
 */
export function pushedImageInput<D extends string>(description: D) {
  return {
    type: 'string',
    required: true,
    regex: IMAGE_REF_REGEX,
    gitlabDefault: '$KANIKO_TS_IMAGE_REF',
    description,
  } as const satisfies InputSpec;
}
