import { stringify } from 'yaml';
import type { ImagePolicy } from './image-policy.js';
import { kyvernoClusterPolicy } from './kyverno-policy.js';
import { clusterImagePolicy } from './policy-controller-policy.js';
import { SigstoreError } from './sigstore-error.js';

export interface ExportedPolicy {
  kyverno: Record<string, unknown>;
  policyController: Record<string, unknown>;
  /** both as one multi-document YAML stream */
  yaml: string;
  kyvernoYaml: string;
  policyControllerYaml: string;
  /** what could not be expressed in a target */
  warnings: string[];
}

/** Kyverno `ClusterPolicy` and policy-controller `ClusterImagePolicy` enforcing the same signer. */
export function exportPolicy(policy: ImagePolicy): ExportedPolicy {
  if (!policy.images.length) throw new SigstoreError('INVALID_ARGUMENT', 'exporting policy: no image globs');
  if (!policy.identities?.length && !policy.publicKeys?.length) {
    throw new SigstoreError('INVALID_ARGUMENT', 'exporting policy: needs a keyless identity or a public key');
  }
  for (const id of policy.identities ?? []) {
    if ((id.subject ?? id.subjectRegExp) === undefined || (id.issuer ?? id.issuerRegExp) === undefined) {
      throw new SigstoreError(
        'INVALID_ARGUMENT',
        'exporting policy: each identity needs a subject and an issuer',
      );
    }
  }
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(policy.name)) {
    throw new SigstoreError('INVALID_ARGUMENT', `exporting policy: ${policy.name} is not a Kubernetes name`);
  }
  const warnings: string[] = [];
  const kyverno = kyvernoClusterPolicy(policy, warnings);
  const policyController = clusterImagePolicy(policy, warnings);
  const kyvernoYaml = stringify(kyverno, { lineWidth: 0 });
  const policyControllerYaml = stringify(policyController, { lineWidth: 0 });
  const yaml = `${kyvernoYaml}---\n${policyControllerYaml}`;
  return { kyverno, policyController, yaml, kyvernoYaml, policyControllerYaml, warnings };
}
