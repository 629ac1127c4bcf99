/**
 * Interoperability with independent implementations: skopeo (containers/image), umoci and podman.
 * These tools must be installed (`apt-get install -y skopeo umoci podman`); if one is missing the
 * test fails and says so, it never skips.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendLayers,
  emptyImage,
  type Image,
  layerFromBytes,
  layerFromFile,
  randomImage,
  randomLayerTar,
  readDockerArchive,
  readLayout,
  validateImage,
  writeDockerArchive,
  writeLayout,
} from '../src/index.js';

const run = promisify(execFile);

async function tool(name: string, args: string[], env?: Record<string, string>): Promise<string> {
  try {
    const { stdout } = await run(name, args, {
      maxBuffer: 64 * 1024 * 1024,
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        `${name} is not installed: run \`apt-get install -y skopeo umoci podman zstd gzip\` (Debian 12)`,
      );
    }
    throw new Error(`${name} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

async function writeTmp(path: string, bytes: Uint8Array): Promise<string> {
  await writeFile(path, bytes);
  return path;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let root: string;
let image: Image;
let diffIds: string[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oci-interop-'));
  // Two gzip layers plus one uncompressed, on a base with a real runtime config.
  const base = await randomImage({ layers: 2, sizePerLayer: 50_000, seed: 42 });
  const extra = await layerFromBytes(await randomLayerTar(42, 9, 3000), { compression: 'none' });
  image = appendLayers(base, [{ layer: extra, history: { created_by: 'uncompressed layer' } }]);
  diffIds = (await image.config()).rootfs.diff_ids;
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('OCI layout interop', () => {
  it('skopeo reads our layout with the same manifest bytes and digest', async () => {
    const dir = join(root, 'layout');
    await writeLayout(dir, image, { tag: 'v1' });
    const raw = await tool('skopeo', ['inspect', '--raw', `oci:${dir}:v1`]);
    expect(raw).toBe(new TextDecoder().decode(await image.rawManifest()));
    const info = JSON.parse(await tool('skopeo', ['inspect', `oci:${dir}:v1`]));
    expect(info.Digest).toBe(await image.digest());
    expect(info.Architecture).toBe('amd64');
    const config = JSON.parse(await tool('skopeo', ['inspect', '--config', `oci:${dir}:v1`]));
    expect(config.rootfs.diff_ids).toEqual(diffIds);
  });

  it('umoci stats and unpacks our layout to the files we put in', async () => {
    const dir = join(root, 'layout-umoci');
    await writeLayout(dir, await randomImage({ layers: 2, sizePerLayer: 5000, seed: 9 }), { tag: 'v1' });
    const stat = await tool('umoci', ['stat', '--json', '--image', `${dir}:v1`]);
    expect(JSON.parse(stat).history.length).toBe(2);
    const bundle = join(root, 'bundle');
    await tool('umoci', ['unpack', '--image', `${dir}:v1`, bundle]);
    const file = await readFile(join(bundle, 'rootfs', 'random', 'layer-1.bin'));
    const tar = await randomLayerTar(9, 1, 5000);
    // the file's bytes sit after the tar headers of the directory and the file (2 × 512 + 512)
    expect(file.equals(Buffer.from(tar.subarray(1024, 1024 + 5000)))).toBe(true);
  });

  it('reads back a layout written by skopeo with identical diffIDs', async () => {
    const src = join(root, 'layout');
    const dst = join(root, 'skopeo-layout');
    await tool('skopeo', ['copy', `oci:${src}:v1`, `oci:${dst}:copied`]);
    const back = await (await readLayout(dst)).image({ tag: 'copied' });
    await validateImage(back);
    expect((await back.config()).rootfs.diff_ids).toEqual(diffIds);
  });
});

describe('docker-archive interop', () => {
  let archive: string;
  beforeAll(async () => {
    archive = join(root, 'image.tar');
    await writeDockerArchive(archive, image, { tags: ['example.test/oci/interop:v1'] });
  });

  it('skopeo inspects our archive and sees our diffIDs as layers', async () => {
    const info = JSON.parse(await tool('skopeo', ['inspect', `docker-archive:${archive}`]));
    expect(info.RepoTags ?? []).toBeDefined();
    expect(info.Layers).toEqual(diffIds);
    const config = JSON.parse(await tool('skopeo', ['inspect', '--config', `docker-archive:${archive}`]));
    expect(config.rootfs.diff_ids).toEqual(diffIds);
  });

  it('reads our own archive back', async () => {
    const back = await readDockerArchive(archive, { tag: 'example.test/oci/interop:v1' });
    await validateImage(back);
    expect(await back.rawConfig()).toEqual(await image.rawConfig());
  });

  it('podman loads our archive', async () => {
    const dir = join(root, 'podman');
    await mkdir(dir, { recursive: true });
    const conf = join(dir, 'containers.conf');
    await writeFile(
      conf,
      '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n[containers]\ndefault_ulimits = ["nofile=20000:20000","nproc=4096:4096"]\n',
    );
    const store = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'vfs'];
    const env = { CONTAINERS_CONF: conf };
    const out = await tool('podman', [...store, 'load', '-i', archive], env);
    expect(out).toMatch(/Loaded image/);
    const inspect = JSON.parse(
      await tool('podman', [...store, 'image', 'inspect', 'example.test/oci/interop:v1'], env),
    );
    const configDigest = (await image.manifest()).config.digest;
    expect(inspect[0].Id).toBe(configDigest.slice('sha256:'.length));
    expect(inspect[0].RootFS.Layers).toEqual(diffIds);
    // And what podman saves (docker save format with legacy layer dirs) reads back identically.
    const saved = join(dir, 'saved.tar');
    await tool(
      'podman',
      [...store, 'save', '--format', 'docker-archive', '-o', saved, 'example.test/oci/interop:v1'],
      env,
    );
    const back = await readDockerArchive(saved);
    await validateImage(back);
    expect((await back.config()).rootfs.diff_ids).toEqual(diffIds);
  });

  it('reads an archive written by skopeo from our layout with identical diffIDs', async () => {
    const dir = join(root, 'layout-for-archive');
    // (skopeo 1.9 ignores index.json entries with Docker media types, so the layout stays OCI.)
    await writeLayout(dir, image, { tag: 'v1' });
    const out = join(root, 'skopeo.tar');
    await tool('skopeo', ['copy', `oci:${dir}:v1`, `docker-archive:${out}:example.test/skopeo:v1`]);
    const back = await readDockerArchive(out, { tag: 'example.test/skopeo:v1' });
    await validateImage(back);
    expect((await back.config()).rootfs.diff_ids).toEqual(diffIds);
    for (const [i, layer] of (await back.layers()).entries()) expect(await layer.diffId()).toBe(diffIds[i]);
  });

  it('skopeo copies our archive into an OCI layout we can read', async () => {
    const dst = join(root, 'from-archive');
    await tool('skopeo', ['copy', `docker-archive:${archive}`, `oci:${dst}:x`]);
    const back = await (await readLayout(dst)).image({ tag: 'x' });
    await validateImage(back);
    expect((await back.config()).rootfs.diff_ids).toEqual(diffIds);
  });
});

describe('compression interop', () => {
  it.each([
    ['gzip', 'gzip'],
    ['zstd', 'zstd'],
  ] as const)('%s layers decompress with the %s command to the exact tar', async (compression, cmd) => {
    const tar = await randomLayerTar(5, 0, 100_000);
    const dir = join(root, `compress-${compression}`);
    await mkdir(dir, { recursive: true });
    const layer = await layerFromFile(await writeTmp(join(dir, 'in.tar'), tar), { compression, dir });
    const blob = join(dir, 'blob');
    await writeFile(blob, await readAll(await layer.compressed()));
    const out = await run(cmd, ['-dc', blob], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 }).catch(
      (e) => {
        throw new Error(`${cmd} -dc failed (is \`${cmd}\` installed?): ${(e as Error).message}`);
      },
    );
    expect(Buffer.compare(out.stdout, Buffer.from(tar))).toBe(0);
  });

  it('skopeo recompresses our zstd layers to gzip with the same diffIDs', async () => {
    const img = await randomImage({ layers: 2, sizePerLayer: 20_000, compression: 'zstd', seed: 11 });
    const src = join(root, 'zstd-layout');
    const dst = join(root, 'zstd-to-gzip');
    await writeLayout(src, img, { tag: 'z' });
    await tool('skopeo', ['copy', '--dest-compress-format', 'gzip', `oci:${src}:z`, `oci:${dst}:g`]);
    const back = await (await readLayout(dst)).image({ tag: 'g' });
    await validateImage(back);
    expect((await back.manifest()).layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+gzip',
    ]);
    expect((await back.config()).rootfs.diff_ids).toEqual((await img.config()).rootfs.diff_ids);
  });
});

describe('scratch image interop', () => {
  it('an empty image is accepted by skopeo and umoci', async () => {
    const dir = join(root, 'scratch');
    await writeLayout(dir, emptyImage({ platform: { os: 'linux', architecture: 'arm64' } }), { tag: 's' });
    const info = JSON.parse(await tool('skopeo', ['inspect', `oci:${dir}:s`]));
    expect(info.Architecture).toBe('arm64');
    expect(info.Layers).toEqual([]);
    await tool('umoci', ['stat', '--image', `${dir}:s`]);
  });
});
