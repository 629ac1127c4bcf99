export { Authenticator, repositoryScope } from './auth/authenticator.js';
export { type Challenge, parseChallenges } from './auth/challenge.js';
export { type CredentialHelperOptions, runCredentialHelper } from './auth/credential-helper.js';
export { Credentials } from './auth/credentials.js';
export { DockerConfigKeychain, type DockerConfigKeychainOptions } from './auth/docker-config-keychain.js';
export { anonymousKeychain, type Keychain, MultiKeychain, StaticKeychain } from './auth/keychain.js';
export { type ContentCache, directoryContentCache } from './content-cache.js';
export type { BlobOutcome, BlobSource, PushOptions } from './push.js';
export {
  DOCKER_HUB,
  normalizeRegistry,
  type ParseReferenceOptions,
  parseReference,
  Reference,
} from './reference.js';
export { type ListReferrersOptions, referrersTag } from './referrers.js';
export { RegistryClient, type RegistryClientOptions } from './registry-client.js';
export {
  errorFromResponse,
  parseDiagnostics,
  type RegistryDiagnostic,
  RegistryError,
  type RegistryErrorCode,
  type RegistryErrorDetails,
} from './registry-error.js';
export type { RemoteManifest } from './remote-manifest.js';
export type { ClientCertificate } from './transport/host-options.js';
export type { RegistryLogEvent } from './transport/http-transport.js';
export {
  backoffDelay,
  defaultRetryPolicy,
  parseRetryAfter,
  type RetryPolicy,
} from './transport/retry-policy.js';
