import type { GitHubWorkflowPolicy, GitLabPipelinePolicy, IdentityMatcher } from './identity-policy.js';

/** A condition on an attestation's predicate (Kyverno `conditions` syntax: JMESPath key, operator, value). */
export interface PredicateCondition {
  key: string;
  operator: 'Equals' | 'NotEquals' | 'In' | 'AnyIn' | 'AllIn' | 'NotIn' | 'GreaterThan' | 'LessThan';
  value: unknown;
}

/** One policy, exported to Kyverno and policy-controller so admission enforces what `verify` checks. */
export interface ImagePolicy {
  /** metadata.name of the exported objects */
  name: string;
  /** image globs, e.g. `ghcr.io/org/*` */
  images: string[];
  /** keyless signers (any one suffices); regular expressions are exported anchored */
  identities?: IdentityMatcher[];
  github?: GitHubWorkflowPolicy;
  gitlab?: GitLabPipelinePolicy;
  /** key-based: PEM public keys (any one suffices) */
  publicKeys?: string[];
  /** which signature storage admission reads (default `legacy`, what every verifier understands) */
  format?: 'legacy' | 'bundle';
  /** Fulcio/Rekor of a private Sigstore (public good when absent) */
  fulcioURL?: string;
  rekorURL?: string;
  /** PEM Fulcio root(s) for a private Sigstore */
  fulcioRoots?: string;
  /** skip the transparency log (key-signed images uploaded nowhere) */
  ignoreTlog?: boolean;
  /** required attestations by predicate type, with optional predicate conditions */
  attestations?: { predicateType: string; conditions?: PredicateCondition[] }[];
}

/** Go's regexp matches anywhere; export our anchored semantics explicitly. */
export function anchoredPattern(pattern: string): string {
  return `^(?:${pattern})$`;
}
