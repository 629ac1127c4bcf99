import { createBuildPlan } from '@kaniko-ts/dockerfile';
import { formatPlatform, type Image, type Platform, parsePlatform } from '@kaniko-ts/oci';

/** What `prefetchBaseImages` found out and started. */
export interface BasePrefetch {
  /** The engine's `resolve`: the prefetched image when reference and platform match, else a fresh pull. */
  resolve: (ref: string, platform: Platform) => Promise<Image>;
  /**
   * False when no stage the build needs has a RUN in the Dockerfile (true when it did not plan). A
   * base image's ONBUILD RUN is not seen here: only a hint for when to probe the executor.
   */
  runs: boolean;
}

/**
 * Starts resolving the base images of the stages the build needs (manifest, then config: what
 * planning reads first) before the push-permission check has answered, so their round trips overlap
 * instead of following each other. A Dockerfile that does not plan is left to the engine, which
 * plans again and reports it; a failed pull surfaces when the engine asks for that image.
 */
export function prefetchBaseImages(
  text: string,
  options: {
    file: string;
    buildArgs: Record<string, string>;
    target?: string | undefined;
    platform: Platform;
  },
  pull: (ref: string, platform: Platform) => Promise<Image>,
): BasePrefetch {
  let runs = true;
  const started = new Map<string, Promise<Image>>();
  const key = (ref: string, p: Platform) => `${ref}|${formatPlatform(p)}`;
  try {
    const plan = createBuildPlan(text, {
      file: options.file,
      buildArgs: options.buildArgs,
      target: options.target,
      targetPlatform: formatPlatform(options.platform),
      // only the stages' bases are read here; the engine's own planning lints and reports
      lint: false,
    });
    runs = plan.order.some((i) => plan.stages[i]?.instructions.some((ins) => ins.kind === 'RUN'));
    for (const i of plan.order) {
      const stage = plan.stages[i];
      if (stage?.base.kind !== 'image') continue;
      const platform = stage.platform ? parsePlatform(stage.platform) : options.platform;
      const k = key(stage.base.ref, platform);
      if (started.has(k)) continue;
      const image = pull(stage.base.ref, platform);
      image.then((im) => im.config()).catch(() => undefined);
      started.set(k, image);
    }
  } catch {
    // not planned here: the engine's own planning reports the error
  }
  const resolve = (ref: string, platform: Platform): Promise<Image> => {
    const k = key(ref, platform);
    const image = started.get(k);
    if (image === undefined) return pull(ref, platform);
    started.delete(k);
    return image;
  };
  return { resolve, runs };
}
