import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../../test/harness/registry.js';
import { attestSbomStep, buildStep, generateKeyPairStep, signStep, verifyStep } from '../steps.js';
import { cosignKeyPair } from './cosign-key-pair.js';
import { fakeContext } from './fake-context.js';
import { stepInputs } from './step-inputs.js';

/**
 * The steps chained as a pipeline chains them, outputs feeding inputs, against a real registry:
 * build → generate-key-pair → sign → attest-sbom → verify, ending in a verified digest. Key-based and
 * without a transparency log, so it runs offline; keyless runs need the Sigstore services.
 */
describe('build → sign → attest-sbom → verify', () => {
  let registry: RunningRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ variant: 'plain' });
    dir = mkdtempSync(join(tmpdir(), 'chain-'));
    mkdirSync(join(dir, 'ctx'));
    writeFileSync(
      join(dir, 'ctx', 'status'),
      'Package: hello\nStatus: install ok installed\nPriority: optional\nSection: misc\nInstalled-Size: 1\nMaintainer: Example <e@example.com>\nArchitecture: amd64\nVersion: 2.10-3\nDescription: hello\n\n',
    );
    writeFileSync(join(dir, 'ctx', 'Dockerfile'), 'FROM scratch\nCOPY status /var/lib/dpkg/status\n');
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('ends in a verified digest, and verification fails for another key or a missing attestation', async () => {
    const { ctx } = fakeContext();
    const net = { insecure: 'true' };
    const built = await buildStep.run(
      ctx,
      stepInputs(buildStep.spec, { ...net, context: join(dir, 'ctx'), tags: `${registry.host}/chain/app:1` }),
    );
    const { keys, keyEnv } = await cosignKeyPair(ctx, join(dir, 'cosign'), 'pw');
    const signed = await signStep.run(
      ctx,
      stepInputs(
        signStep.spec,
        { ...net, image: built['image-ref'], 'tlog-upload': 'false', format: 'both' },
        keyEnv,
      ),
    );
    expect(signed.digest).toBe(built.digest);
    expect(signed['signature-ref'].split('\n').length).toBe(2);
    const attested = await attestSbomStep.run(
      ctx,
      stepInputs(attestSbomStep.spec, { ...net, image: signed['image-ref'], 'tlog-upload': 'false' }, keyEnv),
    );
    expect(attested['predicate-type']).toBe('https://spdx.dev/Document');
    expect(attested.packages).toBe('1');
    expect(readFileSync(attested['sbom-path'], 'utf8')).toContain('"name": "hello"');

    const verify = (raw: Record<string, string>) =>
      verifyStep.run(
        ctx,
        stepInputs(verifyStep.spec, { ...net, image: attested['image-ref'], 'ignore-tlog': 'true', ...raw }),
      );
    const verified = await verify({ key: keys['public-key-path'], 'require-attestation': 'spdx' });
    expect(verified.verified).toBe('true');
    expect(verified['image-ref']).toBe(built['image-ref']);
    expect(verified.attestations).toBe('https://spdx.dev/Document');

    await expect(
      verify({ key: keys['public-key-path'], 'require-attestation': 'cyclonedx' }),
    ).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
    });
    const other = await generateKeyPairStep.run(
      ctx,
      stepInputs(
        generateKeyPairStep.spec,
        { 'output-key-prefix': join(dir, 'other') },
        { COSIGN_PASSWORD: '' },
      ),
    );
    await expect(verify({ key: other['public-key-path'] })).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
    });
  });
});
