import { attestSpec } from '../attest/spec.js';
import { attestSbomSpec } from '../attest-sbom/spec.js';
import { pickInputs } from '../internal/pick-inputs.js';
import { signSpec } from '../sign/spec.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import { buildOutputs } from './build-outputs.js';
import { type BuildRequest, toBuildRequest } from './build-request.js';
import type { BuildResult } from './build-result.js';
import { callBuild } from './call-build.js';
import type { buildSpec } from './spec.js';

/** The build step's run: build, then (when asked) the sign and attest-sbom steps' own code. */
export async function runBuild(
  ctx: StepContext,
  inputs: InferInputs<typeof buildSpec>,
  /** The library call; adapters may run it elsewhere (the GitHub action runs it as root through sudo). */
  call: (request: BuildRequest, ctx: StepContext) => Promise<BuildResult> = callBuild,
): Promise<InferOutputs<typeof buildSpec>> {
  const request = toBuildRequest(ctx, inputs);
  request.catalog = inputs.sbom && request.push && !inputs['dry-run'];
  const startedOn = ctx.clock.now();
  const result = await ctx.group('build', () => call(request, ctx));
  const finishedOn = ctx.clock.now();
  const outputs = buildOutputs(ctx, inputs, result);
  const pushed = request.push && !inputs['dry-run'] && outputs['image-ref'] !== '';
  if (inputs.sign && pushed) {
    // signing, SBOM and provenance code (sigstore, the cataloguer) loads only when asked for
    const { runSign } = await import('../sign/run.js');
    const signed = await runSign(
      ctx,
      pickInputs(signSpec, inputs, { image: outputs['image-ref'], annotations: [] }),
    );
    outputs['signature-ref'] = signed['signature-ref'];
  }
  if (inputs.sbom && pushed) {
    const { runAttestSbom } = await import('../attest-sbom/run.js');
    const attested = await runAttestSbom(
      ctx,
      pickInputs(attestSbomSpec, inputs, {
        image: outputs['image-ref'],
        predicate: undefined,
        'output-file': undefined,
      }),
      result.inventory,
    );
    outputs['attestation-ref'] = attested['attestation-ref'];
    outputs['sbom-path'] = attested['sbom-path'];
  }
  if (inputs.provenance && pushed) {
    const { buildProvenancePredicate } = await import('../attest/provenance.js');
    const { attestPredicate } = await import('../attest/run.js');
    const predicate = await buildProvenancePredicate({
      subjects: [{ name: outputs.image, digest: result.digest }],
      context: request.context,
      ...(request.contextSubPath !== undefined ? { contextSubPath: request.contextSubPath } : {}),
      ...(request.dockerfile !== undefined ? { dockerfile: request.dockerfile } : {}),
      buildArgs: request.buildArgs,
      // A bare `KEY` build arg takes its value from the environment: never recorded (often a token).
      secretNames: inputs['build-args'].filter((a) => !a.includes('=')),
      ...(request.target !== undefined ? { target: request.target } : {}),
      platform: result.platform,
      baseImages: result.baseImages ?? {},
      startedOn,
      finishedOn,
      env: ctx.env,
    });
    const attested = await ctx.group(`attest provenance of ${outputs['image-ref']}`, () =>
      attestPredicate(
        ctx,
        pickInputs(attestSpec, inputs, {
          image: outputs['image-ref'],
          type: 'slsa',
          predicate: undefined,
          context: undefined,
          dockerfile: undefined,
        }),
        predicate,
      ),
    );
    outputs['provenance-ref'] = attested['attestation-ref'];
  }
  if ((inputs.sign || inputs.sbom) && !pushed) ctx.log.warn('sign and sbom need a pushed image: skipped');
  if (inputs.provenance && !pushed) ctx.log.warn('provenance needs a pushed image: skipped');
  return outputs;
}
