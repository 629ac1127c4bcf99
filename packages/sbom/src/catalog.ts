import type { CatalogContext, Cataloger, FoundPackage } from './cataloger.js';
import { apkCataloger } from './catalogers/apk.js';
import { DPKG_COPYRIGHT, dpkgCataloger } from './catalogers/dpkg.js';
import { goBinaryCataloger } from './catalogers/go-binary.js';
import { javaArchiveCataloger } from './catalogers/java-archive.js';
import { npmCataloger } from './catalogers/npm.js';
import { pythonCataloger } from './catalogers/python.js';
import { RPM_WAL, rpmCataloger } from './catalogers/rpm.js';
import { rustAuditCataloger } from './catalogers/rust-audit.js';
import { type DirectoryViewOptions, directoryView } from './directory-view.js';
import { DISTRO_FILES, detectDistro } from './distro.js';
import type { FileSystemView } from './file-system-view.js';
import type { CatalogedPackage, Inventory, InventorySource, License } from './inventory.js';
import { layerCollector, layeredView } from './layered-view.js';
import type { LayeredViewOptions, LayerTar, RetainMode } from './layered-view-options.js';
import { addLicense } from './license.js';
import { type RecordedLayer, recordLayer } from './record-layer.js';
import { SbomError } from './sbom-error.js';

/** Every cataloger, in the order their packages are reported when merged. */
export const DEFAULT_CATALOGERS: readonly Cataloger[] = [
  dpkgCataloger,
  apkCataloger,
  rpmCataloger,
  npmCataloger,
  pythonCataloger,
  goBinaryCataloger,
  rustAuditCataloger,
  javaArchiveCataloger,
];

/** ELF sections any cataloger reads. */
export const ELF_SECTIONS: readonly string[] = ['.go.buildinfo', '.dep-v0', '.rust-deps-v0'];

export interface CatalogOptions {
  readonly catalogers?: readonly Cataloger[];
}

export interface InventoryWithWarnings extends Inventory {
  /** Non-fatal findings (unsupported database formats, unreadable evidence), sorted. */
  readonly warnings: readonly string[];
}

const RANK: Record<RetainMode, number> = { none: 0, sections: 1, derived: 2, bytes: 2, history: 3 };

/** The retain policy of the image view: evidence of the given catalogers plus distro and license files. */
export function retainPolicy(
  catalogers: readonly Cataloger[] = DEFAULT_CATALOGERS,
): LayeredViewOptions['retain'] {
  const distro = new Set(DISTRO_FILES);
  return (path, info) => {
    if (info.type !== 'file') return 'none';
    if (distro.has(path) || DPKG_COPYRIGHT.test(path) || RPM_WAL.test(path)) return 'bytes';
    let best: RetainMode = 'none';
    for (const c of catalogers) {
      const m = c.match(path, info);
      if (m && RANK[m] > RANK[best]) best = m;
    }
    return best;
  };
}

/** Stream-time derivation for `derived` evidence: the first cataloger that claims the file derives it. */
export function derivePolicy(
  catalogers: readonly Cataloger[] = DEFAULT_CATALOGERS,
): LayeredViewOptions['derive'] {
  return (path, data) => {
    for (const c of catalogers) {
      if (c.derive && c.match(path, { type: 'file', mode: 0o644 }) === 'derived') return c.derive(path, data);
    }
    return data;
  };
}

/** Every regular file of the view (sorted, depth-first) with its mode; stats run 64 at a time. */
async function regularFiles(view: FileSystemView): Promise<{ path: string; mode: number }[]> {
  const files: string[] = [];
  const stack = ['/'];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const entries = await view.list(dir);
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      const path = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
      if (e.type === 'directory') stack.push(path);
      else if (e.type === 'file') files.push(path);
    }
  }
  const modes = new Array<number>(files.length).fill(0);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      modes[i] = (await view.stat(files[i]!))?.mode ?? 0;
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return files.map((path, i) => ({ path, mode: modes[i]! }));
}

interface Attributed extends FoundPackage {
  readonly layer?: string;
  readonly foundBy: string;
}

async function parseWithLayers(
  c: Cataloger,
  mode: RetainMode,
  path: string,
  ctx: CatalogContext,
): Promise<Attributed[]> {
  const { view } = ctx;
  const versions = await view.versions(path);
  const last = versions.length - 1;
  if (mode === 'history' && versions.length > 1 && versions.every((v) => v.data)) {
    const sets: Set<string>[] = [];
    let final: FoundPackage[] = [];
    for (let i = 0; i <= last; i++) {
      const found = await c.parse(path, versions[i]!.data, ctx);
      sets.push(new Set(found.map((p) => p.purl)));
      if (i === last) final = found;
    }
    return final.map((p) => {
      let i = last;
      while (i > 0 && sets[i - 1]!.has(p.purl)) i--;
      const layer = versions[i]?.layer;
      return { ...p, foundBy: c.name, ...(layer ? { layer } : {}) };
    });
  }
  let data: Uint8Array | undefined;
  if (mode === 'bytes' || mode === 'history' || mode === 'derived') {
    try {
      data = await view.readFile(path);
    } catch (error) {
      ctx.warn(`skipping ${path}: ${(error as Error).message}`);
      return [];
    }
  }
  const found = await c.parse(path, data, ctx);
  let i = last;
  const digest = versions[last]?.digest;
  while (digest && i > 0 && versions[i - 1]!.digest === digest) i--;
  const layer = versions[i]?.layer ?? (await view.stat(path))?.layer;
  return found.map((p) => ({ ...p, foundBy: c.name, ...(layer ? { layer } : {}) }));
}

function sortRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Runs the catalogers over a view and merges what they find into one inventory. */
export async function catalogView(
  view: FileSystemView,
  source: InventorySource,
  options: CatalogOptions = {},
): Promise<InventoryWithWarnings> {
  const catalogers = options.catalogers ?? DEFAULT_CATALOGERS;
  const warnings = new Set<string>();
  const distro = await detectDistro(view);
  const ctx: CatalogContext = {
    view,
    ...(distro ? { distro } : {}),
    warn: (m) => warnings.add(m),
    memo: new Map(),
  };
  const found: Attributed[] = [];
  for (const entry of await regularFiles(view)) {
    const info = { type: 'file' as const, mode: entry.mode };
    for (const c of catalogers) {
      const mode = c.match(entry.path, info);
      if (mode === undefined) continue;
      try {
        found.push(...(await parseWithLayers(c, mode, entry.path, ctx)));
      } catch (error) {
        if (!(error instanceof SbomError)) throw error;
        ctx.warn(`${c.name}: ${entry.path}: ${error.message}`);
      }
    }
  }
  const order = new Map(view.layers.map((l, i) => [l, i]));
  const merged = new Map<string, Attributed & { evidence: string[]; licenses: License[] }>();
  for (const p of found) {
    const prev = merged.get(p.purl);
    if (!prev) {
      merged.set(p.purl, { ...p, evidence: [...p.evidence], licenses: [...p.licenses] });
      continue;
    }
    for (const e of p.evidence) if (!prev.evidence.includes(e)) prev.evidence.push(e);
    for (const l of p.licenses) addLicense(prev.licenses, l);
    const a = prev.layer !== undefined ? (order.get(prev.layer) ?? Infinity) : Infinity;
    const b = p.layer !== undefined ? (order.get(p.layer) ?? Infinity) : Infinity;
    if (b < a) merged.set(p.purl, { ...prev, layer: p.layer! });
  }
  const packages: CatalogedPackage[] = [...merged.values()]
    .map((p) => ({
      ...p,
      evidence: [...p.evidence].sort(),
      cpes: [...p.cpes],
      metadata: sortRecord(p.metadata),
    }))
    .sort((x, y) => (x.purl < y.purl ? -1 : x.purl > y.purl ? 1 : 0));
  return {
    source,
    ...(distro ? { distro } : {}),
    layers: [...view.layers],
    packages,
    warnings: [...warnings].sort(),
  };
}

export interface CatalogDirectoryOptions extends CatalogOptions, DirectoryViewOptions {
  /** Label for the directory in documents (default: `directory`). */
  readonly name?: string;
}

/** Inventories an unpacked root file system on disk. */
export async function catalogDirectory(
  root: string,
  options: CatalogDirectoryOptions = {},
): Promise<InventoryWithWarnings> {
  const view = directoryView(root, options);
  return catalogView(view, { kind: 'directory', name: options.name ?? 'directory' }, options);
}

export interface CatalogLayersOptions extends CatalogOptions {
  readonly source: Omit<InventorySource, 'kind'>;
  readonly maxRetainedSize?: number;
}

/** Inventories an image given as its uncompressed layer tars, streamed once each, in order. */
export async function catalogLayers(
  layers: Iterable<LayerTar> | AsyncIterable<LayerTar>,
  options: CatalogLayersOptions,
): Promise<InventoryWithWarnings> {
  const catalogers = options.catalogers ?? DEFAULT_CATALOGERS;
  const view = await layeredView(layers, {
    retain: retainPolicy(catalogers),
    derive: derivePolicy(catalogers),
    sections: ELF_SECTIONS,
    ...(options.maxRetainedSize ? { maxRetainedSize: options.maxRetainedSize } : {}),
  });
  return catalogView(view, { kind: 'image', ...options.source }, { catalogers });
}

/** What {@link buildCataloger} returns: feed layers while building, ask for the inventory once. */
export interface BuildCataloger {
  /** Streams one more layer (in image order) into the view. */
  addLayer(layer: LayerTar): Promise<void>;
  /**
   * Reads a layer now, in any order (e.g. a tee of a base layer the builder is extracting), keeping
   * only catalogers' evidence; add it later in image order with {@link BuildCataloger.addRecorded}.
   */
  record(layer: Pick<LayerTar, 'open'>, label?: string): Promise<RecordedLayer>;
  /** Adds a recorded layer as the next layer of the image. */
  addRecorded(diffId: string, recorded: RecordedLayer): void;
  inventory(source: Omit<InventorySource, 'kind'>): Promise<InventoryWithWarnings>;
}

/**
 * Catalogues while building: feed each layer tar as it is produced (`addLayer`, e.g. a tee of the
 * stream being compressed, with a lazy diffID) or record it as it streams past (`record`, then
 * `addRecorded` in image order), then `inventory()` once. No second pass over layers.
 */
export function buildCataloger(
  options: CatalogOptions & { readonly maxRetainedSize?: number } = {},
): BuildCataloger {
  const catalogers = options.catalogers ?? DEFAULT_CATALOGERS;
  const viewOptions: LayeredViewOptions = {
    retain: retainPolicy(catalogers),
    derive: derivePolicy(catalogers),
    sections: ELF_SECTIONS,
    ...(options.maxRetainedSize ? { maxRetainedSize: options.maxRetainedSize } : {}),
  };
  const collector = layerCollector(viewOptions);
  return {
    addLayer: (layer) => collector.addLayer(layer),
    record: (layer, label) => recordLayer(layer, viewOptions, label),
    addRecorded: (diffId, recorded) => collector.addRecorded(diffId, recorded),
    inventory: (source) => catalogView(collector.view, { kind: 'image', ...source }, { catalogers }),
  };
}
