import { anchoredPattern, type ImagePolicy, type PredicateCondition } from './image-policy.js';

type Obj = Record<string, unknown>;

/** cue source requiring every condition on the predicate (only `Equals` is expressible). */
function cuePolicy(attestation: { conditions?: PredicateCondition[] }, warnings: string[]) {
  const lines: string[] = [];
  for (const c of attestation.conditions ?? []) {
    const path = c.key.replace(/^\{\{\s*|\s*\}\}$/g, '').trim();
    if (c.operator !== 'Equals' || !/^[A-Za-z_][\w.]*$/.test(path)) {
      warnings.push(`policy-controller: condition ${c.key} ${c.operator} is not exported`);
      continue;
    }
    const segs = path.split('.');
    let expr = JSON.stringify(c.value);
    for (let i = segs.length - 1; i >= 0; i--) expr = `{${segs[i]}: ${expr}}`;
    lines.push(expr.slice(1, -1));
  }
  return lines.length ? { type: 'cue', data: lines.join('\n') } : undefined;
}

/** A sigstore policy-controller `ClusterImagePolicy` (policy.sigstore.dev/v1beta1). */
export function clusterImagePolicy(policy: ImagePolicy, warnings: string[] = []): Obj {
  const ctlog = policy.ignoreTlog ? undefined : { url: policy.rekorURL ?? 'https://rekor.sigstore.dev' };
  const attestations = policy.attestations?.map((a, i) => {
    const p = cuePolicy(a, warnings);
    return { name: `attestation-${i + 1}`, predicateType: a.predicateType, ...(p ? { policy: p } : {}) };
  });
  const authorities: Obj[] = [];
  if (policy.identities?.length) {
    const identities = policy.identities.map((id) => {
      const out: Obj = {};
      if (id.issuer !== undefined) out.issuer = id.issuer;
      if (id.issuerRegExp !== undefined) out.issuerRegExp = anchoredPattern(id.issuerRegExp);
      if (id.subject !== undefined) out.subject = id.subject;
      if (id.subjectRegExp !== undefined) out.subjectRegExp = anchoredPattern(id.subjectRegExp);
      return out;
    });
    authorities.push({
      name: 'keyless',
      keyless: { url: policy.fulcioURL ?? 'https://fulcio.sigstore.dev', identities },
      ...(ctlog ? { ctlog } : {}),
      ...(attestations?.length ? { attestations } : {}),
      signatureFormat: policy.format === 'bundle' ? 'bundle' : 'legacy',
    });
    if (policy.github || policy.gitlab) {
      warnings.push(
        'policy-controller: certificate extension constraints are not exported; enforce them through the subject',
      );
    }
    if (policy.fulcioRoots) {
      warnings.push(
        'policy-controller: private Fulcio roots need a TrustRoot resource referenced by trustRootRef',
      );
    }
  }
  (policy.publicKeys ?? []).forEach((pem, i) => {
    authorities.push({
      name: `key-${i + 1}`,
      key: { data: pem, hashAlgorithm: 'sha256' },
      ...(ctlog ? { ctlog } : {}),
      ...(attestations?.length ? { attestations } : {}),
    });
    if (policy.format === 'bundle') {
      warnings.push(
        'policy-controller: signatureFormat bundle is keyless-only; key authorities read legacy signatures',
      );
    }
  });
  return {
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: policy.name },
    spec: { images: policy.images.map((glob) => ({ glob })), authorities, mode: 'enforce' },
  };
}
