import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { EntryType } from './file-system-view.js';
import { normalizePath } from './file-system-view.js';
import { bufferSource, isElf, readElfSections } from './internal/elf.js';
import { parentOf } from './internal/parent-of.js';
import type { LayeredViewOptions, LayerTar, RetainMode } from './layered-view-options.js';
import { SbomError } from './sbom-error.js';

type TarEntry = AsyncIterable<Buffer> & { readonly header: tarStream.Header };

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

/** One tar entry reduced to what the view keeps (no bytes but retained evidence). */
export type RecordedEntry =
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
export async function streamEntries(
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

async function drain(entry: TarEntry): Promise<void> {
  for await (const _ of entry) {
    // discard
  }
}
