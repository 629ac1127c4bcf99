import type { PlannedStage } from '@kaniko-ts/dockerfile';
import { emptyImage, type Image, type Platform, parsePlatform } from '@kaniko-ts/oci';
import { BuilderError } from '../builder-error.js';
import { DEFAULT_PATH } from './run-command.js';
import type { StageState } from './stage-state.js';

/**
 * A stage's state before its first instruction: its parent stage's (copied, ONBUILD cleared) when it
 * is built FROM a stage, else its base image's config, layers and history (scratch: none), with the
 * PATH BuildKit gives every stage whose base has none.
 */
export async function startStage(
  stage: PlannedStage,
  built: ReadonlyMap<number, StageState>,
  image: (ref: string, platform?: string) => Promise<Image>,
  defaultPlatform: Platform,
): Promise<StageState> {
  const platform = stage.platform ? parsePlatform(stage.platform) : defaultPlatform;
  if (stage.base.kind === 'stage') {
    const parent = built.get(stage.base.index);
    if (!parent)
      throw new BuilderError(
        'STAGE_NOT_BUILT',
        `stage ${stage.base.index} was not built before ${stage.index}`,
      );
    return {
      plan: stage,
      cmdSet: false,
      config: structuredClone({ ...parent.config, config: { ...parent.config.config, OnBuild: null } }),
      layers: [...parent.layers],
      history: [...parent.history],
      parent,
    };
  }
  const base =
    stage.base.kind === 'scratch' ? emptyImage({ platform }) : await image(stage.base.ref, stage.platform);
  const config = await base.config();
  const c = { ...(config.config ?? {}) };
  // BuildKit gives every stage a PATH when its base has none (FROM scratch included).
  if (!(c.Env ?? []).some((e) => e.startsWith('PATH='))) c.Env = [`PATH=${DEFAULT_PATH}`, ...(c.Env ?? [])];
  c.OnBuild = null;
  return {
    plan: stage,
    cmdSet: false,
    config: { ...config, config: c },
    layers: [...(await base.layers())],
    history: [...(config.history ?? [])],
    baseDigest: stage.base.kind === 'image' ? await base.digest() : undefined,
  };
}
