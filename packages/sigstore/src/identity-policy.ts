import type { FulcioExtensionName, FulcioExtensions } from './fulcio-extensions.js';
import { SigstoreError } from './sigstore-error.js';

/**
 * One accepted signer: certificate identity (SAN) and OIDC issuer, each exact or as a regular
 * expression that must match the whole value (it is anchored; unanchored matching is never used).
 */
export interface IdentityMatcher {
  subject?: string;
  subjectRegExp?: string;
  issuer?: string;
  issuerRegExp?: string;
}

/** GitHub Actions claims, checked against the certificate like cosign's `--certificate-github-workflow-*`. */
export interface GitHubWorkflowPolicy {
  /** `owner/repo` */
  repository?: string;
  /** `refs/heads/main`; a bare name also matches `refs/heads/<name>` and `refs/tags/<name>`. */
  ref?: string;
  /** event name, e.g. `push` */
  trigger?: string;
  sha?: string;
  name?: string;
}

/** GitLab CI claims, from the source-repository extensions. */
export interface GitLabPipelinePolicy {
  /** `group/project` */
  project?: string;
  ref?: string;
}

/** What a keyless signer must be. An empty `identities` list is rejected: keyless needs an identity. */
export interface CertificateIdentityPolicy {
  identities: IdentityMatcher[];
  /** exact values for Fulcio extensions */
  extensions?: FulcioExtensions;
  github?: GitHubWorkflowPolicy;
  gitlab?: GitLabPipelinePolicy;
}

/** The signer a certificate describes. */
export interface SignerIdentity {
  subject: string;
  issuer: string;
  extensions: FulcioExtensions;
}

/** Compiles `pattern` so that it must match the whole string. */
export function anchoredRegExp(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (cause) {
    throw new SigstoreError('INVALID_ARGUMENT', `compiling identity pattern ${pattern}: invalid`, {
      cause,
    });
  }
}

function matches(value: string, exact?: string, pattern?: string): boolean {
  if (exact !== undefined && value !== exact) return false;
  if (pattern !== undefined && !anchoredRegExp(pattern).test(value)) return false;
  return true;
}

function refMatches(actual: string | undefined, wanted: string): boolean {
  if (actual === undefined) return false;
  if (wanted.startsWith('refs/')) return actual === wanted;
  return actual === `refs/heads/${wanted}` || actual === `refs/tags/${wanted}`;
}

function repoPath(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  try {
    return new URL(uri).pathname.replace(/^\//, '');
  } catch {
    return undefined;
  }
}

function extensionFailures(ext: FulcioExtensions, policy: CertificateIdentityPolicy): string[] {
  const failures: string[] = [];
  const need = (ok: boolean, what: string, wanted: string, got?: string) => {
    if (!ok) failures.push(`${what} is ${got === undefined ? 'absent' : `"${got}"`}, want "${wanted}"`);
  };
  for (const [name, wanted] of Object.entries(policy.extensions ?? {}) as [FulcioExtensionName, string][]) {
    need(ext[name] === wanted, `certificate extension ${name}`, wanted, ext[name]);
  }
  const gh = policy.github;
  if (gh?.repository !== undefined) {
    const got = ext.githubWorkflowRepository ?? repoPath(ext.sourceRepositoryURI);
    need(got === gh.repository, 'github workflow repository', gh.repository, got);
  }
  if (gh?.ref !== undefined) {
    const got = ext.githubWorkflowRef ?? ext.sourceRepositoryRef;
    need(refMatches(got, gh.ref), 'github workflow ref', gh.ref, got);
  }
  if (gh?.trigger !== undefined) {
    const got = ext.githubWorkflowTrigger ?? ext.buildTrigger;
    need(got === gh.trigger, 'github workflow trigger', gh.trigger, got);
  }
  if (gh?.sha !== undefined) {
    const got = ext.githubWorkflowSha ?? ext.sourceRepositoryDigest;
    need(got === gh.sha, 'github workflow sha', gh.sha, got);
  }
  if (gh?.name !== undefined) {
    need(ext.githubWorkflowName === gh.name, 'github workflow name', gh.name, ext.githubWorkflowName);
  }
  const gl = policy.gitlab;
  if (gl?.project !== undefined) {
    const got = repoPath(ext.sourceRepositoryURI);
    need(got === gl.project, 'gitlab project', gl.project, got);
  }
  if (gl?.ref !== undefined) {
    need(refMatches(ext.sourceRepositoryRef, gl.ref), 'gitlab ref', gl.ref, ext.sourceRepositoryRef);
  }
  return failures;
}

/** Returns why `signer` does not satisfy `policy` (empty when it does). */
export function identityFailures(signer: SignerIdentity, policy: CertificateIdentityPolicy): string[] {
  if (policy.identities.length === 0) {
    return ['policy names no certificate identity'];
  }
  for (const m of policy.identities) {
    if ((m.subject ?? m.subjectRegExp) === undefined || (m.issuer ?? m.issuerRegExp) === undefined) {
      throw new SigstoreError(
        'INVALID_ARGUMENT',
        'checking certificate identity: each accepted identity needs a subject and an issuer',
      );
    }
  }
  const failures: string[] = [];
  const ok = policy.identities.some(
    (m) =>
      matches(signer.subject, m.subject, m.subjectRegExp) && matches(signer.issuer, m.issuer, m.issuerRegExp),
  );
  if (!ok) {
    failures.push(
      `certificate identity "${signer.subject}" issued by "${signer.issuer}" matches none of the ${policy.identities.length} accepted identities`,
    );
  }
  return [...failures, ...extensionFailures(signer.extensions, policy)];
}
