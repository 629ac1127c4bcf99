import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Layer } from '@kaniko-ts/oci';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../rootfs/extract-layer.js';
import { readTar, type TarHeader } from '../rootfs/tar-reader.js';
import { encodeTarHeader, tarPadding, tarTrailer } from '../rootfs/tar-writer.js';

/** Path of an entry without `./`, leading or trailing slashes. */
const clean = (name: string): string => name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
const under = (path: string, dir: string): boolean => dir === '' || path.startsWith(`${dir}/`);

/** What survives of the layers when they are applied one over the other. */
interface SquashPlan {
  /** `layer:entry` positions of the entries that end up in the squashed layer. */
  keep: Set<string>;
  /** Whiteouts (and opaque markers) that still apply to the layers below the squashed ones. */
  markers: Map<string, TarHeader>;
}

function dropUnder<T>(map: Map<string, T>, dir: string, alsoSelf: boolean): void {
  for (const key of [...map.keys()]) if ((alsoSelf && key === dir) || under(key, dir)) map.delete(key);
}

/**
 * First pass: applies each layer's entries over the previous ones (later entries replace earlier
 * ones, a whiteout removes the path and everything under it, an opaque marker empties its
 * directory, a non-directory replacing a directory drops the directory's children). Whiteouts and
 * opaque markers are kept — they also hide what the layers below the squashed ones hold.
 */
async function planSquash(layers: readonly Layer[]): Promise<SquashPlan> {
  const entries = new Map<string, { pos: string; dir: boolean }>();
  const markers = new Map<string, TarHeader>();
  for (const [i, layer] of layers.entries()) {
    let j = 0;
    for await (const entry of readTar(await layer.uncompressed())) {
      const pos = `${i}:${j++}`;
      for await (const _ of entry.body()) {
        // headers only in this pass
      }
      const path = clean(entry.header.name);
      const slash = path.lastIndexOf('/');
      const dir = slash < 0 ? '' : path.slice(0, slash);
      const base = path.slice(slash + 1);
      if (base === OPAQUE_WHITEOUT) {
        dropUnder(entries, dir, false);
        dropUnder(markers, dir, false);
        markers.set(path, entry.header);
      } else if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) {
        // aufs metadata (.wh..wh.plnk …): not carried over
      } else if (base.startsWith(WHITEOUT_PREFIX)) {
        const target = `${dir === '' ? '' : `${dir}/`}${base.slice(WHITEOUT_PREFIX.length)}`;
        dropUnder(entries, target, true);
        dropUnder(markers, target, false);
        markers.set(path, entry.header);
      } else if (path !== '') {
        const isDir = entry.header.type === 'directory';
        const before = entries.get(path);
        if (before?.dir && !isDir) {
          dropUnder(entries, path, false);
          dropUnder(markers, path, false);
        }
        entries.set(path, { pos, dir: isDir });
      }
    }
  }
  return { keep: new Set([...entries.values()].map((e) => e.pos)), markers };
}

async function* squashedTar(layers: readonly Layer[], plan: SquashPlan): AsyncGenerator<Buffer> {
  // Whiteouts first: they apply to the layers below, and an extractor that handles entries in
  // order must not remove what this same layer adds at that path afterwards.
  for (const [path, h] of [...plan.markers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    yield encodeTarHeader({ ...h, name: path, type: 'file', size: 0, mtime: Math.floor(h.mtime) });
  }
  for (const [i, layer] of layers.entries()) {
    let j = 0;
    for await (const entry of readTar(await layer.uncompressed())) {
      const keep = plan.keep.has(`${i}:${j++}`);
      if (!keep) {
        for await (const _ of entry.body()) {
          // skipped: replaced or removed by a later layer
        }
        continue;
      }
      const h = entry.header;
      yield encodeTarHeader({ ...h, name: clean(h.name), mtime: Math.floor(h.mtime) });
      let size = 0;
      for await (const chunk of entry.body()) {
        size += chunk.length;
        yield chunk;
      }
      if (size > 0) yield tarPadding(size);
    }
  }
  yield tarTrailer();
}

/**
 * Writes the uncompressed tar of `layers` squashed into one (`--single-snapshot`) to `tarPath`:
 * the result, extracted over the layers below, gives the same file system as the layers did.
 * Limitation: a hardlink whose target a later layer replaced links to the replacement.
 */
export async function squashLayers(layers: readonly Layer[], tarPath: string): Promise<void> {
  const plan = await planSquash(layers);
  await pipeline(Readable.from(squashedTar(layers, plan)), createWriteStream(tarPath));
}
