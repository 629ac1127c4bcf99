import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pack } from 'tar-stream';
import type { Descriptor } from './descriptor.js';
import { type Digest, digestHex, digestStream, sha256, verifyingStream } from './digest.js';
import { type Image, imageFromParts } from './image.js';
import { parseImageConfig } from './image-config.js';
import { sniffCompression } from './internal/compression.js';
import { loadTarStream } from './internal/load-tar-stream.js';
import { readAll } from './internal/streams.js';
import { indexTar, resolveMember, type TarMember } from './internal/tar-index.js';
import { type Layer, layerFromBlob, layerUncompressedSize } from './layer.js';
import { layerMediaType, MediaType } from './media-types.js';
import { OciError } from './oci-error.js';

/** One entry of a docker-archive `manifest.json`. */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** Options of `writeDockerArchive`. */
export interface WriteDockerArchiveOptions {
  /** `RepoTags`, e.g. `['registry.example/app:1.0']`. */
  tags?: string[];
}

const FIXED = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' };

async function addEntry(pack: Pack, name: string, size: number, src: Readable | Uint8Array): Promise<void> {
  let done!: (err?: Error | null) => void;
  const finished = new Promise<void>((resolve, reject) => {
    done = (err) => (err ? reject(err) : resolve());
  });
  if (src instanceof Uint8Array) {
    pack.entry({ name, size, mode: 0o644, ...FIXED }, Buffer.from(src), done);
    return finished;
  }
  const entry = pack.entry({ name, size, mode: 0o644, ...FIXED }, done);
  try {
    for await (const chunk of src) {
      if (!entry.write(chunk as Buffer)) await once(entry as unknown as NodeJS.EventEmitter, 'drain');
    }
    (entry as unknown as { end(): void }).end();
  } catch (e) {
    entry.destroy(e as Error);
    throw e;
  }
  return finished;
}

/**
 * Writes an image as a `docker save`-style tarball (`docker load`, `podman load`,
 * `skopeo … docker-archive:`): `manifest.json` with `Config`, `RepoTags` and `Layers`, the config and
 * every layer **uncompressed** under `blobs/sha256/<hex>` (layers named by diffID, as Docker 25+ does).
 * Layers stream through; each is checked against its diffID while written. Output is deterministic.
 */
export async function writeDockerArchive(
  target: string | Writable,
  image: Image,
  opts: WriteDockerArchiveOptions = {},
): Promise<DockerArchiveEntry> {
  const [config, rawConfig, layers] = await Promise.all([image.config(), image.rawConfig(), image.layers()]);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layers.length) {
    throw new OciError(
      'INVALID_IMAGE',
      `writing docker archive: ${diffIds.length} diff_ids for ${layers.length} layers`,
    );
  }
  const configName = `blobs/sha256/${digestHex(sha256(rawConfig))}`;
  const entry: DockerArchiveEntry = {
    Config: configName,
    RepoTags: opts.tags?.length ? [...opts.tags] : null,
    Layers: diffIds.map((d) => `blobs/sha256/${digestHex(d)}`),
  };
  const pack = (await loadTarStream()).pack();
  const out = typeof target === 'string' ? createWriteStream(target) : target;
  const written = pipeline(pack as unknown as Readable, out);
  try {
    pack.entry({ name: 'blobs/', type: 'directory', mode: 0o755, ...FIXED });
    pack.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, ...FIXED });
    await addEntry(pack, configName, rawConfig.byteLength, rawConfig);
    const seen = new Set<string>();
    for (const [i, layer] of layers.entries()) {
      const diffId = diffIds[i]!;
      if (seen.has(diffId)) continue;
      seen.add(diffId);
      const size = await layerUncompressedSize(layer);
      const src = (await layer.uncompressed()).pipe(verifyingStream(diffId, size, `layer ${i}`));
      await addEntry(pack, entry.Layers[i]!, size, src);
    }
    const manifestJson = new TextEncoder().encode(JSON.stringify([entry]));
    await addEntry(pack, 'manifest.json', manifestJson.byteLength, manifestJson);
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
    await written.catch(() => {});
    throw e;
  }
  await written;
  return entry;
}

/** The `manifest.json` entries of a docker-archive file. */
export async function listDockerArchive(path: string): Promise<DockerArchiveEntry[]> {
  return (await openArchive(path)).entries;
}

async function openArchive(path: string) {
  let members: Map<string, TarMember>;
  try {
    members = await indexTar(path);
  } catch (cause) {
    throw new OciError('INVALID_ARCHIVE', `reading docker archive ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const open = (m: TarMember) =>
    m.size === 0
      ? Readable.from([])
      : createReadStream(path, { start: m.offset, end: m.offset + m.size - 1 });
  const member = (name: string) => {
    const m = resolveMember(members, name);
    if (!m) throw new OciError('INVALID_ARCHIVE', `reading docker archive ${path}: missing member ${name}`);
    return m;
  };
  let entries: DockerArchiveEntry[];
  try {
    entries = JSON.parse(new TextDecoder().decode(await readAll(open(member('manifest.json')))));
  } catch (cause) {
    if (cause instanceof OciError) throw cause;
    throw new OciError('INVALID_ARCHIVE', `reading docker archive ${path}: invalid manifest.json`, { cause });
  }
  if (!Array.isArray(entries))
    throw new OciError('INVALID_ARCHIVE', `reading docker archive ${path}: manifest.json is not a list`);
  return { entries, open, member };
}

async function head(stream: Readable, n: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const c of stream) {
    chunks.push(c as Buffer);
    got += (c as Buffer).byteLength;
    if (got >= n) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, n);
}

/**
 * Reads one image from a docker-archive tarball (from `docker save`, `skopeo copy … docker-archive:`,
 * `podman save`, or `writeDockerArchive`). Select by `tag` (a `RepoTags` value) when the archive holds
 * several. The image is presented as a Docker schema 2 manifest; uncompressed layers keep their tar
 * media type (digest = diffID), compressed ones are hashed once while opening. Layer bytes are
 * verified against the config's diffIDs whenever read.
 */
export async function readDockerArchive(path: string, opts: { tag?: string } = {}): Promise<Image> {
  const { entries, open, member } = await openArchive(path);
  const matches = opts.tag === undefined ? entries : entries.filter((e) => e.RepoTags?.includes(opts.tag!));
  if (matches.length === 0)
    throw new OciError('NOT_FOUND', `reading docker archive ${path}: no image tagged ${opts.tag}`);
  if (matches.length > 1) {
    throw new OciError(
      'AMBIGUOUS',
      `reading docker archive ${path}: ${matches.length} images; select one by tag`,
    );
  }
  const e = matches[0]!;
  const rawConfig = await readAll(open(member(e.Config)));
  const config = parseImageConfig(rawConfig);
  const diffIds: Digest[] = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== e.Layers.length) {
    throw new OciError(
      'INVALID_ARCHIVE',
      `reading docker archive ${path}: ${e.Layers.length} layers for ${diffIds.length} diff_ids`,
    );
  }
  const layers: Layer[] = [];
  for (const [i, name] of e.Layers.entries()) {
    const m = member(name);
    const compression = sniffCompression(await head(open(m), 4));
    let descriptor: Descriptor;
    if (compression === 'none') {
      descriptor = { mediaType: MediaType.dockerLayer, digest: diffIds[i]!, size: m.size };
    } else {
      const hash = digestStream();
      await pipeline(open(m), hash, async (s: AsyncIterable<unknown>) => {
        for await (const _ of s);
      });
      descriptor = { mediaType: layerMediaType(compression, 'docker'), ...hash.result() };
    }
    layers.push(layerFromBlob({ descriptor, open: async () => open(m), diffId: diffIds[i]! }));
  }
  return imageFromParts({
    manifest: {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: sha256(rawConfig), size: rawConfig.byteLength },
      layers: layers.map((l) => l.descriptor()),
    },
    rawConfig,
    layers,
  });
}
