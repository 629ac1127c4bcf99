import { repositoryOf } from '../internal/repository-of.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import type { BuildResult } from './build-result.js';
import type { buildSpec } from './spec.js';

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Turns the build result into outputs, warnings and a summary. */
export function buildOutputs(
  ctx: StepContext,
  inputs: InferInputs<typeof buildSpec>,
  result: BuildResult,
): InferOutputs<typeof buildSpec> {
  for (const w of result.warnings) ctx.log.warn(w.message, { file: w.file, line: w.line, column: w.column });
  const first = inputs.tags[0];
  const image = first === undefined ? '' : repositoryOf(first);
  const imageRef = image === '' || result.digest === '' ? '' : `${image}@${result.digest}`;
  const layers = result.instructions.filter((i) => i.layer);
  const hits = result.instructions.filter((i) => i.cached).length;
  ctx.addSummary({
    title: 'Image',
    rows: [
      ['image', image],
      ['digest', result.digest],
      ['tags', result.references.join(', ')],
      ['platform', result.platform],
      ['size', formatBytes(result.size)],
      ['layers', `${layers.length} (${hits} instructions from cache)`],
      ['build time', `${(result.durationMs / 1000).toFixed(1)} s`],
      ...result.instructions.map((i): [string, string] => [
        `${i.line}: ${i.text}`,
        `${(i.durationMs / 1000).toFixed(2)} s${i.cached ? ', cached' : ''}`,
      ]),
    ],
  });
  return {
    image,
    digest: result.digest,
    imageid: result.configDigest,
    'image-ref': imageRef,
    tags: result.references.join('\n'),
    platform: result.platform,
    metadata: JSON.stringify({
      'containerimage.digest': result.digest,
      'containerimage.config.digest': result.configDigest,
      'image.name': result.references.join(','),
      platform: result.platform,
      size: result.size,
      instructions: result.instructions,
      durationMs: result.durationMs,
    }),
    'signature-ref': '',
    'attestation-ref': '',
    'provenance-ref': '',
    'sbom-path': '',
  };
}
