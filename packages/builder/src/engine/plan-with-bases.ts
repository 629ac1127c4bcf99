import { type BaseImageConfig, type BuildPlan, createBuildPlan } from '@kaniko-ts/dockerfile';
import { formatPlatform, type Image } from '@kaniko-ts/oci';
import type { BuildRequest } from './build-request.js';

/**
 * Plans the Dockerfile, resolves the base images of the stages it needs, and plans again with their
 * configs (ONBUILD triggers, inherited ENV, USER, WORKDIR, SHELL). Returns the plan and each base
 * reference's digest.
 */
export async function planWithBaseImages(
  req: Pick<BuildRequest, 'dockerfile' | 'buildArgs' | 'target' | 'platform'>,
  image: (ref: string, platform?: string) => Promise<Image>,
): Promise<{ plan: BuildPlan; baseDigests: Record<string, string> }> {
  const options = {
    file: req.dockerfile.path,
    buildArgs: req.buildArgs,
    target: req.target,
    targetPlatform: formatPlatform(req.platform),
  };
  // only its stages' bases are read: the plan with the bases' configs below is the one linted
  const first = createBuildPlan(req.dockerfile.text, { ...options, lint: false });
  const baseImages: Record<string, BaseImageConfig> = {};
  const baseDigests: Record<string, string> = {};
  await Promise.all(
    first.order.map(async (i: number) => {
      const base = first.stages[i]?.base;
      if (base?.kind !== 'image') return;
      const resolved = await image(base.ref, first.stages[i]?.platform);
      const c = (await resolved.config()).config ?? {};
      baseImages[base.ref] = {
        env: c.Env,
        onBuild: c.OnBuild ?? [],
        user: c.User,
        workingDir: c.WorkingDir,
        shell: c.Shell,
      };
      baseDigests[base.ref] = await resolved.digest();
    }),
  );
  return { plan: createBuildPlan(req.dockerfile.text, { ...options, baseImages }), baseDigests };
}
