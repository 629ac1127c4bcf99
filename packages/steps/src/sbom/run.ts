import { isAbsolute, resolve } from 'node:path';
import { catalogImage, toCycloneDx, toSpdx } from '@kaniko-ts/sbom';
import { notAvailable } from '../internal/not-available.js';
import { createRegistryClient } from '../internal/registry-client.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import { StepsError } from '../steps-error.js';
import type { sbomSpec } from './spec.js';

/** What the step asks of `@kaniko-ts/sbom`: catalog one source, return the document text. */
export interface SbomRequest {
  source:
    | { kind: 'image'; ref: string }
    | { kind: 'oci-layout'; path: string }
    | { kind: 'docker-archive'; path: string };
  format: 'spdx-json' | 'cyclonedx-json';
  registry: RegistryOptions;
}

/** `catalogImage` + `toSpdx`/`toCycloneDx` from @kaniko-ts/sbom (registry images; layouts and archives not yet). */
export async function callGenerateSbom(
  request: SbomRequest,
  ctx: StepContext,
): Promise<{ document: string; packages: number }> {
  if (request.source.kind !== 'image') return notAvailable(`sbom of a ${request.source.kind}`);
  const registry = createRegistryClient(request.registry, []);
  try {
    const inventory = await catalogImage(await registry.pullImage(request.source.ref), {
      name: request.source.ref,
    });
    for (const w of inventory.warnings) ctx.log.warn(`sbom: ${w}`);
    const created = ctx.clock.now();
    const doc =
      request.format === 'spdx-json' ? toSpdx(inventory, { created }) : toCycloneDx(inventory, { created });
    return { document: `${JSON.stringify(doc, null, 2)}\n`, packages: inventory.packages.length };
  } finally {
    await registry.close();
  }
}

export function toSbomRequest(ctx: StepContext, inputs: InferInputs<typeof sbomSpec>): SbomRequest {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(ctx.workspace, p));
  const given = [inputs.image, inputs['oci-layout-path'], inputs['tar-path']].filter(
    (v) => v !== undefined && v !== '',
  );
  if (given.length !== 1) {
    throw new StepsError(
      'INVALID_INPUT',
      'configuring sbom: give exactly one of image, oci-layout-path, tar-path',
    );
  }
  const source: SbomRequest['source'] = inputs.image
    ? { kind: 'image', ref: inputs.image }
    : inputs['oci-layout-path']
      ? { kind: 'oci-layout', path: at(inputs['oci-layout-path']) }
      : { kind: 'docker-archive', path: at(inputs['tar-path'] ?? '') };
  return { source, format: inputs['sbom-format'], registry: toRegistryOptions(inputs, ctx.env) };
}

export async function runSbom(
  ctx: StepContext,
  inputs: InferInputs<typeof sbomSpec>,
): Promise<InferOutputs<typeof sbomSpec>> {
  const { document, packages } = await callGenerateSbom(toSbomRequest(ctx, inputs), ctx);
  if (!inputs.output) {
    ctx.log.info(document);
    return { 'sbom-path': '', packages: String(packages) };
  }
  const { writeFile } = await import('node:fs/promises');
  const path = isAbsolute(inputs.output) ? inputs.output : resolve(ctx.workspace, inputs.output);
  await writeFile(path, document);
  return { 'sbom-path': path, packages: String(packages) };
}
