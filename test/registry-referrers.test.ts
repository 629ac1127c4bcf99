import { MediaType } from '@kaniko-ts/oci';
import { referrersTag } from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from './harness/index.js';
import { clientFor } from './registry/clients.js';
import { FaultProxy } from './registry/fault-proxy.js';
import { artifactFor, assembleImage, randomLayer } from './registry/images.js';

// distribution 2.8 has no referrers API; the proxy plays a registry that has one (OCI 1.1).
let registry: RunningRegistry;
let proxy: FaultProxy;

beforeAll(async () => {
  registry = await startRegistry({ variant: 'plain' });
  proxy = await new FaultProxy(registry.url).start();
});

afterAll(async () => {
  await proxy.stop();
  await registry.stop();
});

describe('OCI 1.1 referrers API', () => {
  it('uses the API answer, filtering by artifact type unless the registry did', async () => {
    const client = clientFor({ ...registry, host: proxy.host });
    const subject = assembleImage([randomLayer(1000)]);
    const ref = `${proxy.host}/referrers/api:1`;
    const digest = await client.pushImage(ref, subject);
    const listed = [
      {
        mediaType: MediaType.ociManifest,
        digest: `sha256:${'1'.repeat(64)}`,
        size: 10,
        artifactType: 'a/sig',
      },
      {
        mediaType: MediaType.ociManifest,
        digest: `sha256:${'2'.repeat(64)}`,
        size: 10,
        artifactType: 'a/sbom',
      },
    ];
    const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: listed });
    const answer = (headers: Record<string, string> = {}) =>
      proxy.rules.push({
        method: 'GET',
        path: new RegExp(`/referrers/${digest}`),
        fault: {
          kind: 'status',
          status: 200,
          headers: { 'content-type': MediaType.ociIndex, ...headers },
          body,
        },
      });
    answer();
    expect(await client.listReferrers(ref)).toEqual(listed);
    answer();
    expect(await client.listReferrers(ref, { artifactType: 'a/sbom' })).toEqual([listed[1]]);
    // a registry that says it filtered is trusted
    answer({ 'oci-filters-applied': 'artifactType' });
    expect(await client.listReferrers(ref, { artifactType: 'a/sbom' })).toEqual(listed);
    expect(proxy.count('GET', /\/manifests\/sha256-/)).toBe(0);
    await client.close();
  });

  it('skips the fallback tag when the registry confirms the subject with OCI-Subject', async () => {
    const client = clientFor({ ...registry, host: proxy.host });
    const subject = assembleImage([randomLayer(1000)]);
    const ref = `${proxy.host}/referrers/subject:1`;
    const digest = await client.pushImage(ref, subject);
    const artifact = artifactFor(await subject.descriptor(), 'a/sig', 'sig');
    proxy.rules.push({
      method: 'PUT',
      path: new RegExp(`/manifests/${await artifact.digest()}`),
      fault: { kind: 'add-headers', headers: { 'oci-subject': digest } },
    });
    await client.attachReferrer(ref, artifact);
    expect(await client.head(`${proxy.host}/referrers/subject:${referrersTag(digest)}`)).toBeUndefined();
    // without the header the fallback tag is written
    const second = artifactFor(await subject.descriptor(), 'a/sbom', 'sbom');
    await client.attachReferrer(ref, second);
    expect((await client.head(`${proxy.host}/referrers/subject:${referrersTag(digest)}`))?.mediaType).toBe(
      MediaType.ociIndex,
    );
    await client.close();
  });
});
