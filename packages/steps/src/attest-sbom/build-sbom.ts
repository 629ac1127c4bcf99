import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { Image, Layer } from '@kaniko-ts/oci';
import type { RegistryClient } from '@kaniko-ts/registry';
import { buildCataloger, type InventoryWithWarnings, type RecordedLayer } from '@kaniko-ts/sbom';

/** The SBOM the build step catalogues from its own layer streams. */
export interface BuildSbom {
  /** The client to give the builder: every layer it reads from a pulled image is also catalogued. */
  readonly registry: RegistryClient;
  /** Scratch directory for the builder (its layer files must outlive `build()` until `inventory`). */
  readonly workDir: string;
  /**
   * Inventory of the built image: recorded base layers replayed in image order, the layers the
   * build produced read from the builder's local files. Never pulls a layer that was recorded.
   */
  inventory(image: Image, name: string): Promise<InventoryWithWarnings & BuildSbomStats>;
  dispose(): Promise<void>;
}

export interface BuildSbomStats {
  /** Layers catalogued from the stream the builder read (no second read). */
  readonly recorded: number;
  /** Layers read once more (the build's own layer files, or base layers the builder never read). */
  readonly reread: number;
  /** Why a recording could not be used (the layer was read again instead). */
  readonly notes: readonly string[];
}

/** Copies `source` into two streams; the slower reader paces both; a reader that goes away is dropped. */
function tee(source: Readable): [Readable, Readable] {
  const a = new PassThrough({ highWaterMark: 1 << 20 });
  const b = new PassThrough({ highWaterMark: 1 << 20 });
  const outs = [a, b];
  let waiting = 0;
  source.on('data', (chunk: Buffer) => {
    for (const out of outs) {
      if (out.destroyed || out.writableEnded) continue;
      if (!out.write(chunk)) {
        waiting++;
        source.pause();
        const resume = () => {
          out.off('drain', resume);
          out.off('close', resume);
          if (--waiting === 0) source.resume();
        };
        out.on('drain', resume);
        out.on('close', resume);
      }
    }
  });
  source.on('end', () => {
    for (const out of outs) if (!out.destroyed) out.end();
  });
  source.on('error', (error) => {
    for (const out of outs) out.destroy(error);
  });
  // A copy closed early (an extractor done at the end-of-archive marker) is skipped from then on;
  // the other still gets every byte. Errors of the source reach both.
  return [a, b];
}

/**
 * Starts cataloguing for one build: wraps `registry` so that the uncompressed stream of every layer
 * the builder reads from a pulled image (base images, `COPY --from` images, registry cache hits) is
 * recorded by `@kaniko-ts/sbom`'s build cataloger as it streams past.
 */
export async function startBuildSbom(registry: RegistryClient, tempDir: string): Promise<BuildSbom> {
  const workDir = await mkdtemp(join(tempDir, 'build-'));
  const cataloger = buildCataloger();
  const recordings = new Map<string, Promise<RecordedLayer | undefined>>();
  /** Layers being teed, so the builder's side can be let go once the build is over. */
  const open = new Set<{ source: Readable; forBuilder: Readable; forRecorder: Readable }>();
  /**
   * The build is over: a tar extractor may stop at the end-of-archive marker without reading the
   * padding after it, which would hold the source paused. Drain the builder's copies so every
   * recording reaches the end of its layer.
   */
  const releaseBuilderSide = () => {
    for (const o of open) if (!o.forBuilder.destroyed) o.forBuilder.resume();
  };
  const notes: string[] = [];
  let finished = false;

  const wrapLayer = (layer: Layer): Layer => ({
    ...layer,
    descriptor: () => layer.descriptor(),
    diffId: () => layer.diffId(),
    compressed: () => layer.compressed(),
    uncompressed: async () => {
      const stream = await layer.uncompressed();
      const key = layer.descriptor().digest;
      if (finished || recordings.has(key)) return stream;
      const [forBuilder, forRecorder] = tee(stream);
      const entry = { source: stream, forBuilder, forRecorder };
      open.add(entry);
      recordings.set(
        key,
        cataloger
          .record({ open: async () => forRecorder }, key)
          .catch((error: Error) => {
            notes.push(`recording ${key} failed (${error.message}): reading it again`);
            return undefined;
          })
          .finally(() => open.delete(entry)),
      );
      return forBuilder;
    },
    ...(layer.uncompressedSize ? { uncompressedSize: () => layer.uncompressedSize!() } : {}),
  });

  const wrapImage = (image: Image): Image => {
    let layers: Promise<Layer[]> | undefined;
    return {
      ...image,
      manifest: () => image.manifest(),
      rawManifest: () => image.rawManifest(),
      digest: () => image.digest(),
      descriptor: () => image.descriptor(),
      config: () => image.config(),
      rawConfig: () => image.rawConfig(),
      configDescriptor: () => image.configDescriptor(),
      layers: () => {
        layers ??= image.layers().then((ls) => ls.map(wrapLayer));
        return layers;
      },
    };
  };

  const wrapped = new Proxy(registry, {
    get(target, property) {
      if (property === 'pullImage') {
        return async (...args: Parameters<RegistryClient['pullImage']>) =>
          wrapImage(await target.pullImage(...args));
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

  return {
    registry: wrapped,
    workDir,
    async inventory(image, name) {
      finished = true;
      releaseBuilderSide();
      const [config, digest, layers] = await Promise.all([image.config(), image.digest(), image.layers()]);
      const diffIds = config.rootfs?.diff_ids ?? [];
      let recorded = 0;
      let reread = 0;
      for (const [i, layer] of layers.entries()) {
        const diffId = diffIds[i] ?? (await layer.diffId());
        const recording = await recordings.get(layer.descriptor().digest);
        if (recording) {
          cataloger.addRecorded(diffId, recording);
          recorded++;
        } else {
          await cataloger.addLayer({ diffId, open: () => layer.uncompressed() });
          reread++;
        }
      }
      const inventory = await cataloger.inventory({
        name,
        digest,
        repository: name.replace(/@.*$/, '').replace(/:[^/:]*$/, ''),
        ...(config.architecture ? { architecture: config.architecture } : {}),
      });
      return { ...inventory, recorded, reread, notes: [...notes] };
    },
    async dispose() {
      finished = true;
      for (const o of open) {
        o.forRecorder.destroy(new Error('the build ended before this layer was read'));
        o.source.destroy();
      }
      await Promise.allSettled(recordings.values());
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
