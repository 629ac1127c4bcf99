import { createHash } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Image, sha256 } from '@kaniko-ts/oci';
import {
  directoryContentCache,
  parseReference,
  type RegistryLogEvent,
  referrersTag,
} from '@kaniko-ts/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BaseImages,
  containersToolFlags,
  ensureBaseImages,
  type RegistryVariant,
  type RunningRegistry,
  runChecked,
  startRegistry,
} from './harness/index.js';
import { clientFor } from './registry/clients.js';
import { artifactFor, assembleImage, assembleIndex, randomLayer } from './registry/images.js';

const variants: RegistryVariant[] = ['plain', 'tls', 'auth'];
const registries = new Map<RegistryVariant, RunningRegistry>();
let bases: BaseImages;
let scratch: string;

beforeAll(async () => {
  bases = await ensureBaseImages({ log: () => {} });
  scratch = await mkdtemp(join(tmpdir(), 'registry-roundtrip-'));
  await Promise.all(variants.map(async (v) => registries.set(v, await startRegistry({ variant: v }))));
});

afterAll(async () => {
  await Promise.all([...registries.values()].map((r) => r.stop()));
  await rm(scratch, { recursive: true, force: true });
});

async function skopeoRaw(reg: RunningRegistry, ref: string): Promise<Buffer> {
  const r = await runChecked('skopeo', [
    'inspect',
    '--raw',
    ...containersToolFlags(reg, 'any'),
    `docker://${ref}`,
  ]);
  return Buffer.from(r.stdout);
}

async function layerBytes(image: Image): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const layer of await image.layers())
    out.push(Buffer.concat(await (await layer.compressed()).toArray()));
  return out;
}

describe.each(variants)('%s registry', (variant) => {
  const reg = () => registries.get(variant)!;

  it('pushes an assembled image that skopeo reads back with the same digests', async () => {
    const client = clientFor(reg());
    const layers = [randomLayer(200_000), randomLayer(50_000)];
    const image = assembleImage(layers);
    const ref = `${reg().host}/roundtrip/assembled:v1`;
    const digest = await client.pushImage(ref, image);
    expect(digest).toBe(await image.digest());
    const raw = await skopeoRaw(reg(), ref);
    expect(sha256(raw)).toBe(digest);
    const dir = join(scratch, `${variant}-oci`);
    await runChecked('skopeo', [
      'copy',
      '--quiet',
      ...containersToolFlags(reg(), 'src'),
      `docker://${ref}`,
      `oci:${dir}:v1`,
    ]);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests[0].digest).toBe(digest);
    for (const l of layers) {
      const blob = await readFile(join(dir, 'blobs', 'sha256', l.layer.descriptor().digest.slice(7)));
      expect(blob.equals(l.bytes)).toBe(true);
    }
    // pushing again skips every blob (HEAD says it exists)
    const events: RegistryLogEvent[] = [];
    const again = clientFor(reg(), { logger: (e) => events.push(e) });
    expect(await again.pushImage(ref, image)).toBe(digest);
    expect(events.filter((e) => e.message.includes(' existed ')).length).toBe(3);
    await Promise.all([client.close(), again.close()]);
  });

  it('pulls an image pushed by skopeo, verifying every blob', async () => {
    const ref = `${reg().host}/roundtrip/busybox:latest`;
    const digestFile = join(scratch, `${variant}-digest`);
    await runChecked('skopeo', [
      'copy',
      '--quiet',
      ...containersToolFlags(reg(), 'dest'),
      '--digestfile',
      digestFile,
      `oci:${bases.busybox.dir}:latest`,
      `docker://${ref}`,
    ]);
    const expected = (await readFile(digestFile, 'utf8')).trim();
    const client = clientFor(reg());
    const image = await client.pullImage(ref);
    expect(await image.digest()).toBe(expected);
    const config = await image.config();
    expect(config.rootfs?.diff_ids?.length).toBe((await image.layers()).length);
    const blobs = await layerBytes(image);
    const layers = await image.layers();
    blobs.forEach((b, i) => {
      expect(`sha256:${createHash('sha256').update(b).digest('hex')}`).toBe(layers[i]!.descriptor().digest);
    });
    expect(await layers[0]!.diffId()).toBe(config.rootfs?.diff_ids?.[0]);
    expect((await client.head(ref))?.digest).toBe(expected);
    await client.close();
  });

  it('pulls Docker schema 2 images (skopeo --format v2s2) and pushes them back unchanged', async () => {
    const ref = `${reg().host}/roundtrip/docker-v2s2:latest`;
    await runChecked('skopeo', [
      'copy',
      '--quiet',
      '--format',
      'v2s2',
      ...containersToolFlags(reg(), 'dest'),
      `oci:${bases.busybox.dir}:latest`,
      `docker://${ref}`,
    ]);
    const client = clientFor(reg());
    const image = await client.pullImage(ref);
    expect(image.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect((await image.layers())[0]?.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(sha256(await skopeoRaw(reg(), ref))).toBe(await image.digest());
    const copy = `${reg().host}/roundtrip/docker-v2s2-copy:1`;
    expect(await client.pushImage(copy, image)).toBe(await image.digest());
    const inspected = JSON.parse(
      (await runChecked('skopeo', ['inspect', ...containersToolFlags(reg(), 'any'), `docker://${copy}`]))
        .stdout,
    );
    expect(inspected.Digest).toBe(await image.digest());
    await client.close();
  });

  it('pushes a multi-platform index and pulls the requested platform', async () => {
    const client = clientFor(reg());
    const amd = assembleImage([randomLayer(10_000)], { os: 'linux', architecture: 'amd64' });
    const arm = assembleImage([randomLayer(10_000)], { os: 'linux', architecture: 'arm64' });
    const index = await assembleIndex([
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    const ref = `${reg().host}/roundtrip/multi:1`;
    const digest = await client.pushIndex(ref, index);
    expect(sha256(await skopeoRaw(reg(), ref))).toBe(digest);
    const pulled = await client.pullImage(ref, { platform: { os: 'linux', architecture: 'arm64' } });
    expect(await pulled.digest()).toBe(await arm.digest());
    const err = await client
      .pullImage(ref, { platform: { os: 'linux', architecture: 's390x' } })
      .catch((e) => e);
    expect(err.code).toBe('PLATFORM_NOT_FOUND');
    expect((await client.pullIndex(ref)).mediaType).toBe('application/vnd.oci.image.index.v1+json');
    await client.close();
    // pushed again by the next run: neither the index nor its children are put again
    const events: RegistryLogEvent[] = [];
    const again = clientFor(reg(), { logger: (e) => events.push(e) });
    expect(await again.pushIndex(ref, index)).toBe(digest);
    await again.close();
    const skipped = events.map((e) => e.message).filter((m) => m.includes('not put again'));
    expect(skipped).toEqual([
      `${reg().host}/roundtrip/multi@${await amd.digest()} is ${await amd.digest()} already: manifest not put again`,
      `${reg().host}/roundtrip/multi@${await arm.digest()} is ${await arm.digest()} already: manifest not put again`,
      `${ref} is ${digest} already: index not put again`,
    ]);
  });

  it('tags, lists tags, checks push permission and reports unknown manifests', async () => {
    const client = clientFor(reg());
    const image = assembleImage([randomLayer(1000)]);
    const ref = parseReference(`${reg().host}/roundtrip/tags:a`);
    const digest = await client.pushImage(ref, image);
    expect(await client.tag(ref, 'b')).toBe(digest);
    expect((await client.listTags(ref)).sort()).toEqual(['a', 'b']);
    await client.checkPushPermission(`${reg().host}/roundtrip/new-repo:x`);
    const missing = await client.pullImage(`${reg().host}/roundtrip/tags:nope`).catch((e) => e);
    expect(missing.code).toBe('MANIFEST_UNKNOWN');
    expect(missing.status).toBe(404);
    expect(missing.message).toBe(
      `getting manifest ${reg().host}/roundtrip/tags:nope: 404 manifest_unknown: manifest unknown`,
    );
    await client.close();
  });

  it('keeps its connection open across HEADs (a push is mostly HEADs)', async () => {
    const client = clientFor(reg());
    const ref = `${reg().host}/roundtrip/heads:v1`;
    await client.pushImage(ref, assembleImage([randomLayer(1000)]));
    await client.close();
    const connected: unknown[] = [];
    const onConnect = (message: unknown) => connected.push(message);
    subscribe('undici:client:connected', onConnect);
    const fresh = clientFor(reg());
    try {
      for (let i = 0; i < 6; i++) expect(await fresh.head(ref)).toBeDefined();
    } finally {
      unsubscribe('undici:client:connected', onConnect);
      await fresh.close();
    }
    // undici closes the connection after each HEAD unless told not to: six connections (and TLS
    // handshakes) then; a second one when a HEAD goes out before the first is back in the pool
    expect(connected.length).toBeGreaterThanOrEqual(1);
    expect(connected.length).toBeLessThanOrEqual(2);
  });

  it('does not put a manifest the tag names already, and moves the tag to another image', async () => {
    const image = assembleImage([randomLayer(1000)]);
    const ref = `${reg().host}/roundtrip/again:v1`;
    const first = clientFor(reg());
    const digest = await first.pushImage(ref, image);
    await first.close();
    // the next build's process: a fresh client, the same image
    const events: RegistryLogEvent[] = [];
    const again = clientFor(reg(), { logger: (e) => events.push(e) });
    expect(await again.pushImage(ref, image)).toBe(digest);
    expect(events.map((e) => e.message)).toContain(`${ref} is ${digest} already: manifest not put again`);
    const other = assembleImage([randomLayer(1000)]);
    const moved = await again.pushImage(ref, other);
    await again.close();
    expect(moved).not.toBe(digest);
    expect(sha256(await skopeoRaw(reg(), ref))).toBe(moved);
  });

  it('attaches referrers through the sha256-<hex> fallback tag and lists them by artifact type', async () => {
    const client = clientFor(reg());
    const subject = assembleImage([randomLayer(1000)]);
    const ref = `${reg().host}/roundtrip/referred:v1`;
    const digest = await client.pushImage(ref, subject);
    const subjectDescriptor = await subject.descriptor();
    const sig = artifactFor(subjectDescriptor, 'application/vnd.example.sig', 'signature');
    const sbom = artifactFor(subjectDescriptor, 'application/spdx+json', 'sbom');
    expect(await client.listReferrers(ref)).toEqual([]);
    const sigDescriptor = await client.attachReferrer(ref, sig);
    await client.attachReferrer(`${reg().host}/roundtrip/referred@${digest}`, sbom);
    await client.attachReferrer(ref, sig); // idempotent
    const all = await client.listReferrers(ref);
    expect(all.map((d) => d.digest).sort()).toEqual([await sig.digest(), await sbom.digest()].sort());
    const sigs = await client.listReferrers(ref, { artifactType: 'application/vnd.example.sig' });
    expect(sigs).toEqual([sigDescriptor]);
    expect(sigs[0]?.annotations).toEqual({ 'org.example.payload': 'signature' });
    // the fallback index is a real tag another client can read
    const fallback = JSON.parse(
      (await skopeoRaw(reg(), `${reg().host}/roundtrip/referred:${referrersTag(digest)}`)).toString(),
    );
    expect(fallback.manifests).toHaveLength(2);
    await client.close();
  });
});

describe('push strategies (plain registry)', () => {
  it('uploads in PATCH chunks when a blob is larger than the chunk size', async () => {
    const reg = registries.get('plain')!;
    const client = clientFor(reg, { chunkSize: 64 * 1024 });
    const layer = randomLayer(300_000);
    const image = assembleImage([layer]);
    const ref = `${reg.host}/strategies/chunked:1`;
    await client.pushImage(ref, image);
    const pulled = await clientFor(reg).pullImage(ref);
    expect((await layerBytes(pulled))[0]!.equals(layer.bytes)).toBe(true);
    await client.close();
  });

  it('mounts blobs across repositories instead of uploading them again', async () => {
    const reg = registries.get('plain')!;
    const events: RegistryLogEvent[] = [];
    const client = clientFor(reg, { logger: (e) => events.push(e) });
    const image = assembleImage([randomLayer(100_000), randomLayer(100_000)]);
    await client.pushImage(`${reg.host}/strategies/source:1`, image);
    events.length = 0;
    await client.pushImage(`${reg.host}/strategies/target:1`, image);
    expect(events.filter((e) => e.message.startsWith('mounted blob')).length).toBe(3);
    expect(events.filter((e) => e.message.includes(' uploaded ')).length).toBe(0);
    // a fresh client learns where blobs live from what it pulls
    const other = clientFor(reg, { logger: (e) => events.push(e) });
    events.length = 0;
    const pulled = await other.pullImage(`${reg.host}/strategies/source:1`);
    await layerBytes(pulled);
    await other.pushImage(`${reg.host}/strategies/third:1`, pulled);
    expect(events.filter((e) => e.message.startsWith('mounted blob')).length).toBe(3);
    await Promise.all([client.close(), other.close()]);
  });

  it('a later client with the same content cache mounts big blobs from where an earlier one pushed them', async () => {
    const reg = registries.get('plain')!;
    const cacheDir = join(scratch, 'content-cache');
    const big = randomLayer(1_500_000); // above the size whose locations are remembered (1 MiB)
    const bigDigest = sha256(big.bytes);
    const image = assembleImage([big, randomLayer(1000)]);
    const first = clientFor(reg, { contentCache: directoryContentCache(cacheDir) });
    await first.pushImage(`${reg.host}/remembered/first:1`, image);
    await first.close();
    // a new process of the next build: the same cache directory, nothing in memory
    const events: RegistryLogEvent[] = [];
    const next = clientFor(reg, {
      contentCache: directoryContentCache(cacheDir),
      logger: (e) => events.push(e),
    });
    await next.pushImage(`${reg.host}/remembered/next:1`, image);
    await next.close();
    const mounted = events.filter((e) => e.message.startsWith('mounted blob'));
    expect(mounted.map((e) => e.message)).toEqual([
      `mounted blob ${bigDigest} into ${reg.host}/remembered/next from remembered/first`,
    ]);
    const pulled = await clientFor(reg).pullImage(`${reg.host}/remembered/next:1`);
    expect((await layerBytes(pulled))[0]!.equals(big.bytes)).toBe(true);
    // without the cache directory the same push uploads it (nothing else told the client where it is)
    events.length = 0;
    const fresh = clientFor(reg, { logger: (e) => events.push(e) });
    await fresh.pushImage(`${reg.host}/remembered/fresh:1`, image);
    await fresh.close();
    expect(events.filter((e) => e.message.startsWith('mounted blob'))).toEqual([]);
    // a remembered repository that does not hold the blob: the registry opens an upload instead
    await writeFile(
      join(cacheDir, 'locations', bigDigest.slice('sha256:'.length)),
      `${reg.host}/remembered/empty\n`,
    );
    const misled = clientFor(reg, { contentCache: directoryContentCache(cacheDir) });
    await misled.pushImage(`${reg.host}/remembered/misled:1`, image);
    await misled.close();
    const back = await clientFor(reg).pullImage(`${reg.host}/remembered/misled:1`);
    expect((await layerBytes(back))[0]!.equals(big.bytes)).toBe(true);
  });

  it('reads through registry maps and docker.io mirrors before the original registry', async () => {
    const reg = registries.get('plain')!;
    const image = assembleImage([randomLayer(1000)]);
    const pusher = clientFor(reg);
    await pusher.pushImage(`${reg.host}/mirror/library/debian:12`, image);
    await pusher.pushImage(`${reg.host}/mapped/app:1`, image);
    const client = clientFor(reg, {
      registryMirrors: [`${reg.host}/mirror`],
      registryMaps: { 'registry.invalid/team': [`${reg.host}/mapped`] },
      skipDefaultRegistryFallback: true,
    });
    expect(await (await client.pullImage('debian:12')).digest()).toBe(await image.digest());
    expect(await (await client.pullImage('registry.invalid/team/app:1')).digest()).toBe(await image.digest());
    const missing = await client.pullImage('debian:11').catch((e) => e);
    expect(missing.code).toBe('MANIFEST_UNKNOWN');
    await Promise.all([pusher.close(), client.close()]);
  });
});
