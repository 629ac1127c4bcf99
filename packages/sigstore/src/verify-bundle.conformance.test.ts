import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SigstoreError } from './sigstore-error.js';
import { embeddedPublicGoodTrustedRoot, parseTrustedRoot } from './trusted-root.js';
import { type TrustPolicy, verifyBundle } from './verify-bundle.js';

/** sigstore-conformance `test/assets/bundle-verify`: a case whose name ends in `_fail` must fail. */
const dir = new URL('../../../../shared/conformance/sigstore-bundle-verify/', import.meta.url);
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

const cases = readdirSync(dir).filter((name) => statSync(new URL(name, dir)).isDirectory());
const read = (c: string, f: string) => readFileSync(new URL(`${c}/${f}`, dir));
const has = (c: string, f: string) => existsSync(new URL(`${c}/${f}`, dir));

function runCase(name: string) {
  const trustedRoot = has(name, 'trusted_root.json')
    ? parseTrustedRoot(read(name, 'trusted_root.json'))
    : embeddedPublicGoodTrustedRoot();
  const artifact = has(name, 'artifact') ? read(name, 'artifact') : readFileSync(new URL('a.txt', dir));
  const policy: TrustPolicy = has(name, 'key.pub')
    ? { publicKey: read(name, 'key.pub').toString() }
    : {
        certificate: {
          identities: [
            {
              subject: has(name, 'identity') ? read(name, 'identity').toString().trim() : DEFAULT_IDENTITY,
              issuer: has(name, 'issuer') ? read(name, 'issuer').toString().trim() : DEFAULT_ISSUER,
            },
          ],
        },
      };
  return verifyBundle({ bundle: read(name, 'bundle.sigstore.json'), trustedRoot, policy, artifact });
}

describe('sigstore-conformance bundle-verify', () => {
  it('has all 70 cases', () => {
    expect(cases).toHaveLength(70);
  });

  it.each(cases.filter((c) => c.endsWith('_fail')))('%s fails', (name) => {
    expect(() => runCase(name)).toThrow(SigstoreError);
  });

  it.each(cases.filter((c) => !c.endsWith('_fail')))('%s verifies', (name) => {
    const result = runCase(name);
    expect(result.tlogEntries.length + result.rfc3161Timestamps.length).toBeGreaterThan(0);
  });
});
