import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';

type TarEntry = AsyncIterable<Buffer> & { readonly header: tarStream.Header };

import type { DirEntry, EntryType, FileInfo, FileSystemView, FileVersion } from './file-system-view.js';
import { normalizePath } from './file-system-view.js';
import { bufferSource, isElf, readElfSections } from './internal/elf.js';
import { SbomError } from './sbom-error.js';

/** One uncompressed layer tar, in image order. */
export interface LayerTar {
  /**
   * `sha256:<hex>` of the uncompressed tar, or a function asked once the tar has been read (for a
   * builder that computes the diffID while the same bytes stream through).
   */
  readonly diffId: string | (() => string | Promise<string>);
  /** Opens the uncompressed tar stream. */
  open(): Promise<Readable | AsyncIterable<Uint8Array>>;
}

/**
 * What to keep of a file while streaming: nothing, its bytes (latest write), its bytes of every
 * write (package databases, for layer attribution), only named ELF sections (executables), or a
 * compact form derived from the bytes at once (`derive`, e.g. the packages found in a jar).
 */
export type RetainMode = 'none' | 'bytes' | 'history' | 'sections' | 'derived';

export interface LayeredViewOptions {
  retain(
    path: string,
    info: { readonly type: EntryType; readonly mode: number; readonly size: number },
  ): RetainMode;
  /** Turns a `derived` file's bytes into what is kept instead (the bytes themselves are dropped). */
  derive?(path: string, data: Uint8Array): Uint8Array;
  /** ELF section names kept for `sections` files. */
  readonly sections: readonly string[];
  /** Files larger than this are never buffered (default 512 MiB). */
  readonly maxRetainedSize?: number;
}

interface Version {
  readonly layer: number;
  readonly digest?: string;
  data?: Uint8Array;
}

interface Node {
  type: EntryType;
  mode: number;
  size: number;
  layer: number;
  linkname?: string;
  versions: Version[];
  sections?: ReadonlyMap<string, Uint8Array>;
  retain: RetainMode;
}

function entryType(t: string | null | undefined): EntryType | 'hardlink' | undefined {
  switch (t) {
    case 'file':
    case 'contiguous-file':
    case undefined:
    case null:
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    case 'character-device':
    case 'block-device':
    case 'fifo':
      return 'other';
    default:
      return undefined;
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** One tar entry reduced to what the view keeps (no bytes but retained evidence). */
type RecordedEntry =
  | { readonly kind: 'opaque'; readonly path: string }
  | { readonly kind: 'whiteout'; readonly path: string }
  | { readonly kind: 'hardlink'; readonly path: string; readonly target: string }
  | {
      readonly kind: 'node';
      readonly path: string;
      readonly type: EntryType;
      readonly mode: number;
      readonly size: number;
      readonly retain: RetainMode;
      readonly linkname?: string;
      readonly digest?: string;
      readonly data?: Uint8Array;
      readonly sections?: ReadonlyMap<string, Uint8Array>;
    };

/**
 * A layer read once, kept as its entries and retained evidence only, to be added to a view later
 * (when its position in the image is known). Built by {@link recordLayer}.
 */
export interface RecordedLayer {
  readonly entries: readonly RecordedEntry[];
}

async function readEntry(entry: TarEntry, options: LayeredViewOptions): Promise<RecordedEntry | undefined> {
  const h = entry.header;
  const path = normalizePath(h.name);
  const type = entryType(h.type);
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base.startsWith('.wh.')) {
    await drain(entry);
    const dir = parentOf(path);
    if (base === '.wh..wh..opq') return { kind: 'opaque', path: dir };
    return { kind: 'whiteout', path: dir === '/' ? `/${base.slice(4)}` : `${dir}/${base.slice(4)}` };
  }
  if (type === undefined || path === '/') {
    await drain(entry);
    return undefined;
  }
  const mode = (h.mode ?? 0o644) & 0o7777;
  if (type === 'hardlink') {
    await drain(entry);
    return { kind: 'hardlink', path, target: normalizePath(h.linkname ?? '') };
  }
  const size = h.size ?? 0;
  if (type !== 'file') {
    await drain(entry);
    return {
      kind: 'node',
      path,
      type,
      mode,
      size: type === 'symlink' ? (h.linkname ?? '').length : 0,
      retain: 'none',
      ...(type === 'symlink' ? { linkname: h.linkname ?? '' } : {}),
    };
  }
  let retain = options.retain(path, { type, mode, size });
  if (size > (options.maxRetainedSize ?? 512 * 1024 * 1024)) retain = 'none';
  if (retain === 'none') {
    await drain(entry);
    return { kind: 'node', path, type, mode, size, retain };
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let keep = true;
  for await (const chunk of entry) {
    hash.update(chunk);
    if (retain === 'sections' && chunks.length === 0 && !isElf(chunk)) keep = false;
    if (keep) chunks.push(chunk);
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (retain === 'sections') {
    return {
      kind: 'node',
      path,
      type,
      mode,
      size,
      retain,
      digest,
      ...(keep
        ? { sections: await readElfSections(bufferSource(Buffer.concat(chunks)), options.sections) }
        : {}),
    };
  }
  const bytes = Buffer.concat(chunks);
  const derive = retain === 'derived' ? options.derive : undefined;
  return { kind: 'node', path, type, mode, size, retain, digest, data: derive ? derive(path, bytes) : bytes };
}

/** Streams one layer tar, handing each reduced entry to `sink` in tar order. */
async function streamEntries(
  layer: Pick<LayerTar, 'open'>,
  label: string,
  options: LayeredViewOptions,
  sink: (entry: RecordedEntry) => void,
): Promise<void> {
  const source = await layer.open();
  const extract = tarStream.extract();
  const input = source as Readable;
  const pump = (async () => {
    try {
      for await (const chunk of source) {
        if (extract.destroyed) return;
        if (!extract.write(chunk as Buffer)) {
          await new Promise<void>((r) => {
            const done = () => {
              extract.off('drain', done);
              extract.off('close', done);
              r();
            };
            extract.on('drain', done);
            extract.on('close', done);
          });
        }
      }
      extract.end(undefined);
    } catch (error) {
      extract.destroy(error as Error);
    }
  })();
  try {
    for await (const entry of extract) {
      const recorded = await readEntry(entry as unknown as TarEntry, options);
      if (recorded) sink(recorded);
    }
  } catch (cause) {
    extract.destroy();
    if (typeof input.destroy === 'function') input.destroy();
    throw new SbomError('LAYER_READ', `reading layer ${label}: ${(cause as Error).message}`, {
      cause,
    });
  }
  await pump;
}

/**
 * Reads one layer tar now (e.g. a tee of a stream a builder is extracting) and keeps only what
 * `options.retain` asks for, so it can be added to a view later in image order without reading the
 * layer again.
 */
export async function recordLayer(
  layer: Pick<LayerTar, 'open'>,
  options: LayeredViewOptions,
  label = 'layer',
): Promise<RecordedLayer> {
  const entries: RecordedEntry[] = [];
  await streamEntries(layer, label, options, (e) => entries.push(e));
  return { entries };
}

/** The squashed file system of a list of layers, built by streaming each tar once, in order. */
class LayeredView implements FileSystemView {
  readonly layers: string[] = [];
  private readonly nodes = new Map<string, Node>([
    ['/', { type: 'directory', mode: 0o755, size: 0, layer: -1, versions: [], retain: 'none' }],
  ]);
  private readonly children = new Map<string, Set<string>>([['/', new Set()]]);

  constructor(private readonly options: LayeredViewOptions) {}

  private remove(path: string): void {
    const kids = this.children.get(path);
    if (kids) {
      for (const name of kids) this.remove(path === '/' ? `/${name}` : `${path}/${name}`);
      this.children.delete(path);
    }
    this.nodes.delete(path);
    if (path !== '/') this.children.get(parentOf(path))?.delete(path.slice(path.lastIndexOf('/') + 1));
  }

  /** Removes what lower layers put below `dir`; keeps entries written by `layer`. */
  private opaque(dir: string, layer: number): void {
    const kids = this.children.get(dir);
    if (!kids) return;
    for (const name of [...kids]) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const node = this.nodes.get(path);
      if (!node) continue;
      if (node.type === 'directory') {
        this.opaque(path, layer);
        if (node.layer < layer && (this.children.get(path)?.size ?? 0) === 0) this.remove(path);
      } else if (node.layer < layer) {
        this.remove(path);
      }
    }
  }

  private ensureParents(path: string, layer: number): void {
    if (path === '/') return;
    const parent = parentOf(path);
    const existing = this.nodes.get(parent);
    if (existing?.type !== 'directory') {
      if (existing) this.remove(parent);
      this.ensureParents(parent, layer);
      this.nodes.set(parent, {
        type: 'directory',
        mode: 0o755,
        size: 0,
        layer,
        versions: [],
        retain: 'none',
      });
      this.children.set(parent, new Set());
    }
    this.children.get(parent)!.add(path.slice(path.lastIndexOf('/') + 1));
  }

  private put(path: string, node: Node): void {
    const previous = this.nodes.get(path);
    if (previous) {
      if (previous.type === 'file' && node.type === 'file') {
        // Another write of the same file: keep its history, drop bytes no longer needed.
        if (node.retain !== 'history') for (const v of previous.versions) delete v.data;
        node.versions = [...previous.versions, ...node.versions];
      } else if (!(previous.type === 'directory' && node.type === 'directory')) {
        this.remove(path);
      }
    }
    this.ensureParents(path, node.layer);
    this.nodes.set(path, node);
    if (node.type === 'directory' && !this.children.has(path)) this.children.set(path, new Set());
  }

  async addLayer(layer: LayerTar): Promise<void> {
    const index = this.layers.length;
    const label = typeof layer.diffId === 'string' ? layer.diffId : `layer ${index}`;
    this.layers.push(label);
    await streamEntries(layer, label, this.options, (entry) => this.apply(entry, index));
    if (typeof layer.diffId !== 'string') this.layers[index] = await layer.diffId();
  }

  /** Adds a layer read earlier by {@link recordLayer}, as if it were streamed now. */
  addRecorded(diffId: string, recorded: RecordedLayer): void {
    const index = this.layers.length;
    this.layers.push(diffId);
    for (const entry of recorded.entries) this.apply(entry, index);
  }

  private apply(entry: RecordedEntry, layer: number): void {
    if (entry.kind === 'opaque') {
      this.opaque(entry.path, layer);
      return;
    }
    if (entry.kind === 'whiteout') {
      this.remove(entry.path);
      return;
    }
    if (entry.kind === 'hardlink') {
      const target = this.nodes.get(entry.target);
      if (target?.type !== 'file') return;
      const last = target.versions.at(-1);
      this.put(entry.path, {
        type: 'file',
        mode: target.mode,
        size: target.size,
        layer,
        retain: target.retain,
        versions: [
          {
            layer,
            ...(last?.digest ? { digest: last.digest } : {}),
            ...(last?.data ? { data: last.data } : {}),
          },
        ],
        ...(target.sections ? { sections: target.sections } : {}),
      });
      return;
    }
    this.put(entry.path, {
      type: entry.type,
      mode: entry.mode,
      size: entry.size,
      layer,
      retain: entry.retain,
      versions: [
        {
          layer,
          ...(entry.digest ? { digest: entry.digest } : {}),
          ...(entry.data ? { data: entry.data } : {}),
        },
      ],
      ...(entry.linkname !== undefined ? { linkname: entry.linkname } : {}),
      ...(entry.sections ? { sections: entry.sections } : {}),
    });
  }

  async stat(path: string): Promise<FileInfo | undefined> {
    const node = this.nodes.get(normalizePath(path));
    if (!node) return undefined;
    const layer = this.layers[node.layer];
    return { type: node.type, size: node.size, mode: node.mode, ...(layer ? { layer } : {}) };
  }

  async list(path: string): Promise<readonly DirEntry[]> {
    const dir = normalizePath(path);
    const kids = this.children.get(dir);
    if (!kids) return [];
    return [...kids].sort().map((name) => ({
      name,
      type: this.nodes.get(dir === '/' ? `/${name}` : `${dir}/${name}`)?.type ?? 'other',
    }));
  }

  async readlink(path: string): Promise<string | undefined> {
    return this.nodes.get(normalizePath(path))?.linkname;
  }

  async readFile(path: string): Promise<Uint8Array> {
    const p = normalizePath(path);
    const node = this.nodes.get(p);
    if (node?.type !== 'file') throw new SbomError('NOT_FOUND', `reading ${p}: no such file in the image`);
    const data = node.versions.at(-1)?.data;
    if (!data)
      throw new SbomError('NOT_RETAINED', `reading ${p}: content was not kept while streaming layers`);
    return data;
  }

  async readSections(path: string, names: readonly string[]): Promise<ReadonlyMap<string, Uint8Array>> {
    const node = this.nodes.get(normalizePath(path));
    const out = new Map<string, Uint8Array>();
    for (const name of names) {
      const s = node?.sections?.get(name);
      if (s) out.set(name, s);
    }
    return out;
  }

  async versions(path: string): Promise<readonly FileVersion[]> {
    const node = this.nodes.get(normalizePath(path));
    if (!node) return [];
    return node.versions.map((v) => {
      const layer = this.layers[v.layer];
      return {
        ...(layer ? { layer } : {}),
        ...(v.digest ? { digest: v.digest } : {}),
        ...(v.data ? { data: v.data } : {}),
      };
    });
  }
}

async function drain(entry: TarEntry): Promise<void> {
  for await (const _ of entry) {
    // discard
  }
}

/** A view fed one layer at a time, e.g. by a builder as it produces each layer. */
export interface LayerCollector {
  /** Streams one more layer (in image order) into the squashed view. */
  addLayer(layer: LayerTar): Promise<void>;
  /** Adds a layer recorded earlier with the same options ({@link recordLayer}), in image order. */
  addRecorded(diffId: string, recorded: RecordedLayer): void;
  /** The view over everything added so far. */
  readonly view: FileSystemView;
}

export function layerCollector(options: LayeredViewOptions): LayerCollector {
  const view = new LayeredView(options);
  return {
    addLayer: (layer) => view.addLayer(layer),
    addRecorded: (diffId, recorded) => view.addRecorded(diffId, recorded),
    view,
  };
}

/**
 * Streams the layers in order into a squashed view: applies `.wh.` whiteouts and `.wh..wh..opq`
 * opaque markers, remembers which layer wrote each path, and keeps only the bytes `retain` asks for.
 */
export async function layeredView(
  layers: Iterable<LayerTar> | AsyncIterable<LayerTar>,
  options: LayeredViewOptions,
): Promise<FileSystemView> {
  const view = new LayeredView(options);
  for await (const layer of layers) await view.addLayer(layer);
  return view;
}
