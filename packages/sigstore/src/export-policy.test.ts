import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { exportPolicy } from './export-policy.js';
import { SigstoreError } from './sigstore-error.js';

const SUBJECT = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

// biome-ignore lint/suspicious/noExplicitAny: navigating exported JSON in assertions
type Any = Record<string, any>;

describe('exportPolicy', () => {
  it('exports a keyless GitHub identity to Kyverno and policy-controller', () => {
    const out = exportPolicy({
      name: 'acme-signed',
      images: ['ghcr.io/acme/*'],
      identities: [{ subject: SUBJECT, issuer: ISSUER }],
      github: { repository: 'acme/app', ref: 'main', trigger: 'push' },
      attestations: [
        {
          predicateType: 'https://spdx.dev/Document',
          conditions: [{ key: '{{ spdxVersion }}', operator: 'Equals', value: 'SPDX-2.3' }],
        },
      ],
    });
    const k = out.kyverno as Any;
    expect(k).toMatchObject({
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: 'acme-signed' },
    });
    const vi = k.spec.rules[0].verifyImages[0];
    expect(vi.type).toBe('Cosign');
    expect(vi.imageReferences).toEqual(['ghcr.io/acme/*']);
    expect(vi.attestors[0].entries[0].keyless).toEqual({
      subject: SUBJECT,
      issuer: ISSUER,
      additionalExtensions: {
        githubWorkflowTrigger: 'push',
        githubWorkflowRepository: 'acme/app',
        githubWorkflowRef: 'refs/heads/main',
      },
      rekor: { url: 'https://rekor.sigstore.dev' },
    });
    expect(vi.attestations[0]).toMatchObject({
      type: 'https://spdx.dev/Document',
      conditions: [{ all: [{ key: '{{ spdxVersion }}', operator: 'Equals', value: 'SPDX-2.3' }] }],
    });

    const p = out.policyController as Any;
    expect(p).toMatchObject({ apiVersion: 'policy.sigstore.dev/v1beta1', kind: 'ClusterImagePolicy' });
    expect(p.spec.images).toEqual([{ glob: 'ghcr.io/acme/*' }]);
    const auth = p.spec.authorities[0];
    expect(auth.keyless.identities).toEqual([{ issuer: ISSUER, subject: SUBJECT }]);
    expect(auth.signatureFormat).toBe('legacy');
    expect(auth.attestations[0]).toMatchObject({
      predicateType: 'https://spdx.dev/Document',
      policy: { type: 'cue', data: 'spdxVersion: "SPDX-2.3"' },
    });
    expect(out.warnings.join('\n')).toMatch(/policy-controller: certificate extension/);

    const docs = parseAllDocuments(out.yaml).map((d) => d.toJS());
    expect(parseAllDocuments(out.kyvernoYaml).map((d) => d.toJS())).toEqual([out.kyverno]);
    expect(docs).toEqual([out.kyverno, out.policyController]);
  });

  it('anchors regular expressions, since Go regexp matches substrings', () => {
    const out = exportPolicy({
      name: 'rx',
      images: ['*'],
      identities: [{ subjectRegExp: 'https://github\\.com/acme/.*', issuer: ISSUER }],
      format: 'bundle',
    });
    const keyless = (out.kyverno as Any).spec.rules[0].verifyImages[0].attestors[0].entries[0].keyless;
    expect(keyless.subjectRegExp).toBe('^(?:https://github\\.com/acme/.*)$');
    expect((out.kyverno as Any).spec.rules[0].verifyImages[0].type).toBe('SigstoreBundle');
    const auth = (out.policyController as Any).spec.authorities[0];
    expect(auth.keyless.identities[0].subjectRegExp).toBe('^(?:https://github\\.com/acme/.*)$');
    expect(auth.signatureFormat).toBe('bundle');
  });

  it('exports public keys, with the tlog waived when asked', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';
    const out = exportPolicy({ name: 'keyed', images: ['reg/app'], publicKeys: [pem], ignoreTlog: true });
    const entry = (out.kyverno as Any).spec.rules[0].verifyImages[0].attestors[0].entries[0];
    expect(entry.keys).toEqual({
      publicKeys: pem,
      signatureAlgorithm: 'sha256',
      rekor: { ignoreTlog: true },
    });
    const auth = (out.policyController as Any).spec.authorities[0];
    expect(auth).toEqual({ name: 'key-1', key: { data: pem, hashAlgorithm: 'sha256' } });
  });

  it('refuses policies that would admit anyone', () => {
    expect(() => exportPolicy({ name: 'x', images: ['*'] })).toThrow(SigstoreError);
    expect(() => exportPolicy({ name: 'x', images: ['*'], identities: [{ subject: SUBJECT }] })).toThrow(
      /issuer/,
    );
    expect(() => exportPolicy({ name: 'Bad_Name', images: ['*'], publicKeys: ['k'] })).toThrow(
      /Kubernetes name/,
    );
  });
});
