import type { DirEntry, EntryType, FileInfo, FileSystemView, FileVersion } from './file-system-view.js';
import { normalizePath } from './file-system-view.js';
import { parentOf } from './internal/parent-of.js';
import type { LayeredViewOptions, LayerTar, RetainMode } from './layered-view-options.js';
import { type RecordedEntry, type RecordedLayer, streamEntries } from './record-layer.js';
import { SbomError } from './sbom-error.js';

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
