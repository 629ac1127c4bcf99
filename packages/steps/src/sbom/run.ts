import { isAbsolute, resolve } from 'node:path';
import { type Image, readDockerArchive, readLayout } from '@kaniko-ts/oci';
import { catalogImage, toCycloneDx, toSpdx } from '@kaniko-ts/sbom';
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

/** `catalogImage` + `toSpdx`/`toCycloneDx` from @kaniko-ts/sbom, for a registry image, an OCI layout or a docker-archive. */
export async function callGenerateSbom(
  request: SbomRequest,
  ctx: StepContext,
): Promise<{ document: string; packages: number }> {
  const registry = createRegistryClient(request.registry, []);
  try {
    const { image, name } = await openSource(request.source, registry);
    const inventory = await catalogImage(image, { name });
    for (const w of inventory.warnings) ctx.log.warn(`sbom: ${w}`);
    const created = ctx.clock.now();
    const doc =
      request.format === 'spdx-json' ? toSpdx(inventory, { created }) : toCycloneDx(inventory, { created });
    return { document: `${JSON.stringify(doc, null, 2)}\n`, packages: inventory.packages.length };
  } finally {
    await registry.close();
  }
}

/** The image to catalogue. A layout path may name a tag: `dir:tag`. */
async function openSource(
  source: SbomRequest['source'],
  registry: ReturnType<typeof createRegistryClient>,
): Promise<{ image: Image; name: string }> {
  if (source.kind === 'image') return { image: await registry.pullImage(source.ref), name: source.ref };
  if (source.kind === 'docker-archive')
    return { image: await readDockerArchive(source.path), name: source.path };
  const colon = source.path.lastIndexOf(':');
  const [dir, tag] =
    colon > source.path.lastIndexOf('/')
      ? [source.path.slice(0, colon), source.path.slice(colon + 1)]
      : [source.path, undefined];
  const layout = await readLayout(dir);
  return { image: await layout.image(tag ? { tag } : {}), name: tag ? `${dir}:${tag}` : dir };
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
