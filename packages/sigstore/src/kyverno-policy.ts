import { anchoredPattern, type ImagePolicy } from './image-policy.js';

type Obj = Record<string, unknown>;

function rekor(policy: ImagePolicy): Obj {
  return policy.ignoreTlog ? { ignoreTlog: true } : { url: policy.rekorURL ?? 'https://rekor.sigstore.dev' };
}

function githubExtensions(policy: ImagePolicy): Record<string, string> | undefined {
  const gh = policy.github;
  if (!gh) return undefined;
  const out: Record<string, string> = {};
  if (gh.trigger) out.githubWorkflowTrigger = gh.trigger;
  if (gh.sha) out.githubWorkflowSha = gh.sha;
  if (gh.name) out.githubWorkflowName = gh.name;
  if (gh.repository) out.githubWorkflowRepository = gh.repository;
  if (gh.ref) out.githubWorkflowRef = gh.ref.startsWith('refs/') ? gh.ref : `refs/heads/${gh.ref}`;
  return Object.keys(out).length ? out : undefined;
}

function attestors(policy: ImagePolicy, warnings: string[]): Obj[] {
  const entries: Obj[] = [];
  for (const id of policy.identities ?? []) {
    const keyless: Obj = {};
    if (id.subject !== undefined) keyless.subject = id.subject;
    if (id.subjectRegExp !== undefined) keyless.subjectRegExp = anchoredPattern(id.subjectRegExp);
    if (id.issuer !== undefined) keyless.issuer = id.issuer;
    if (id.issuerRegExp !== undefined) keyless.issuerRegExp = anchoredPattern(id.issuerRegExp);
    const ext = githubExtensions(policy);
    if (ext) keyless.additionalExtensions = ext;
    if (policy.fulcioRoots) keyless.roots = policy.fulcioRoots;
    keyless.rekor = rekor(policy);
    entries.push({ keyless });
  }
  for (const pem of policy.publicKeys ?? []) {
    entries.push({ keys: { publicKeys: pem, signatureAlgorithm: 'sha256', rekor: rekor(policy) } });
  }
  if (policy.gitlab) {
    warnings.push(
      'kyverno: GitLab project/ref constraints have no keyless field; enforce them through the subject',
    );
  }
  return [{ count: 1, entries }];
}

/** A Kyverno `ClusterPolicy` with one `verifyImages` rule (type Cosign for legacy, SigstoreBundle for bundles). */
export function kyvernoClusterPolicy(policy: ImagePolicy, warnings: string[] = []): Obj {
  const att = attestors(policy, warnings);
  const verify: Obj = {
    imageReferences: policy.images,
    type: policy.format === 'bundle' ? 'SigstoreBundle' : 'Cosign',
    failureAction: 'Enforce',
    mutateDigest: true,
    verifyDigest: true,
    required: true,
    attestors: att,
  };
  if (policy.attestations?.length) {
    verify.attestations = policy.attestations.map((a) => ({
      type: a.predicateType,
      attestors: att,
      ...(a.conditions?.length ? { conditions: [{ all: a.conditions.map((c) => ({ ...c })) }] } : {}),
    }));
  }
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name: policy.name },
    spec: {
      webhookTimeoutSeconds: 30,
      background: false,
      rules: [
        {
          name: 'verify-image',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          verifyImages: [verify],
        },
      ],
    },
  };
}
