import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { catalogImage, type InventoryWithWarnings, toCycloneDx, toSpdx } from '@kaniko-ts/sbom';
import { attestImage } from '@kaniko-ts/sigstore';
import { writeBundleFile } from '../internal/bundle-file.js';
import { createRegistryClient } from '../internal/registry-client.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { type SigningOptions, toSigningOptions } from '../internal/signer-options.js';
import { signResultOf, sigstoreSigning } from '../internal/sigstore-call.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import type { attestSbomSpec } from './spec.js';

/** What the step asks of the library (`attestSbom`: @kaniko-ts/sbom generates, @kaniko-ts/sigstore attests). */
export interface AttestSbomRequest extends SigningOptions {
  image: string;
  sbomFormat: 'spdx-json' | 'cyclonedx-json';
  /** Absolute path of an existing SBOM to attest instead of generating one. */
  predicatePath?: string;
  /** Absolute path the SBOM is written to. */
  outputPath: string;
  registry: RegistryOptions;
}

export interface AttestSbomResult {
  digest: string;
  imageRef: string;
  attestationRefs: string[];
  predicateType: string;
  packages: number;
  bundle: unknown;
  rekorLogIndex?: number;
  certificateIdentity?: string;
}

/** Predicate types cosign uses for `--type spdxjson` / `--type cyclonedx`. */
export const SBOM_PREDICATE_TYPES = {
  'spdx-json': 'https://spdx.dev/Document',
  'cyclonedx-json': 'https://cyclonedx.org/bom',
} as const;

/** Catalogs the image with @kaniko-ts/sbom (or reads the given SBOM), then `attestImage` from @kaniko-ts/sigstore. */
export async function callAttestSbom(
  request: AttestSbomRequest,
  ctx: StepContext,
  /** An inventory taken already (the build step's, from its own layer streams): the image is not read. */
  catalogued?: InventoryWithWarnings,
): Promise<AttestSbomResult> {
  const registry = createRegistryClient(request.registry, [request.image]);
  try {
    let document: unknown;
    let packages = 0;
    if (request.predicatePath !== undefined) {
      document = JSON.parse(await readFile(request.predicatePath, 'utf8'));
      const d = document as { packages?: unknown[]; components?: unknown[] };
      packages = (d.packages ?? d.components ?? []).length;
    } else {
      const inventory =
        catalogued ?? (await catalogImage(await registry.pullImage(request.image), { name: request.image }));
      for (const w of inventory.warnings) ctx.log.warn(`sbom: ${w}`);
      packages = inventory.packages.length;
      const created = ctx.clock.now();
      document =
        request.sbomFormat === 'spdx-json'
          ? toSpdx(inventory, { created })
          : toCycloneDx(inventory, { created });
      await writeFile(request.outputPath, `${JSON.stringify(document, null, 2)}\n`);
    }
    const predicateType = SBOM_PREDICATE_TYPES[request.sbomFormat];
    const options = await sigstoreSigning(request, request.image, registry, ctx.workspace);
    const r = signResultOf(await attestImage({ ...options, predicateType, predicate: document }));
    return { ...r, attestationRefs: r.refs, predicateType, packages };
  } finally {
    await registry.close();
  }
}

export async function toAttestSbomRequest(
  ctx: StepContext,
  inputs: InferInputs<typeof attestSbomSpec>,
): Promise<AttestSbomRequest> {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(ctx.workspace, p));
  const ext = inputs['sbom-format'] === 'spdx-json' ? 'spdx.json' : 'cdx.json';
  const request: AttestSbomRequest = {
    ...(await toSigningOptions(ctx, 'attest-sbom', inputs)),
    image: inputs.image,
    sbomFormat: inputs['sbom-format'],
    outputPath: inputs['output-file'] ? at(inputs['output-file']) : join(ctx.tempDir, `sbom.${ext}`),
    registry: toRegistryOptions(inputs, ctx.env),
  };
  if (inputs.predicate) request.predicatePath = at(inputs.predicate);
  return request;
}

export async function attestSbomOutputs(
  ctx: StepContext,
  request: AttestSbomRequest,
  result: AttestSbomResult,
): Promise<InferOutputs<typeof attestSbomSpec>> {
  const bundlePath = await writeBundleFile(ctx, 'sbom-attestation', result.digest, result.bundle);
  ctx.addSummary({
    title: 'SBOM attestation',
    rows: [
      ['image', result.imageRef],
      ['predicate type', result.predicateType],
      ['packages', String(result.packages)],
      ['stored at', result.attestationRefs.join(', ')],
      ['identity', result.certificateIdentity ?? 'cosign key'],
      ['rekor log index', result.rekorLogIndex?.toString() ?? 'not logged'],
    ],
  });
  return {
    digest: result.digest,
    'image-ref': result.imageRef,
    'attestation-ref': result.attestationRefs.join('\n'),
    'predicate-type': result.predicateType,
    'sbom-path': request.predicatePath ?? request.outputPath,
    'bundle-path': bundlePath,
    'rekor-log-index': result.rekorLogIndex?.toString() ?? '',
    packages: String(result.packages),
  };
}

export async function runAttestSbom(
  ctx: StepContext,
  inputs: InferInputs<typeof attestSbomSpec>,
  /** The build step passes the inventory it took while building; the step then reads no layer. */
  catalogued?: InventoryWithWarnings,
): Promise<InferOutputs<typeof attestSbomSpec>> {
  return ctx.group(`attest SBOM of ${inputs.image}`, async () => {
    const request = await toAttestSbomRequest(ctx, inputs);
    return attestSbomOutputs(ctx, request, await callAttestSbom(request, ctx, catalogued));
  });
}
