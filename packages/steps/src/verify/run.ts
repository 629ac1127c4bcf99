import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  exportPolicy,
  fetchPublicGoodTrustedRoot,
  type ImagePolicy,
  parseTrustedRoot,
  type TrustPolicy,
  type VerifyImageOptions,
  verifyImage,
} from '@kaniko-ts/sigstore';
import { imageTargetOf } from '../internal/image-target.js';
import { createRegistryClient } from '../internal/registry-client.js';
import { type RegistryOptions, toRegistryOptions } from '../internal/registry-options.js';
import { pemOf } from '../internal/sigstore-call.js';
import type { StepContext } from '../step-context.js';
import type { InferInputs, InferOutputs } from '../step-spec.js';
import { StepsError } from '../steps-error.js';
import type { verifySpec } from './spec.js';

/** Who must have signed: a certificate identity (exact or regexp) and issuer, or a public key. */
export type VerifyIdentity =
  | {
      kind: 'certificate';
      identity?: string;
      identityRegexp?: string;
      issuer?: string;
      issuerRegexp?: string;
    }
  | { kind: 'key'; publicKey: string };

/** Well-known short names of predicate types. */
export const PREDICATE_TYPES: Readonly<Record<string, string>> = {
  spdx: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  slsa: 'https://slsa.dev/provenance/v1',
};

/** What the step asks of `@kaniko-ts/sigstore`'s `verifyImage`. */
export interface VerifyRequest {
  image: string;
  identity: VerifyIdentity;
  /** Full predicate type URIs. */
  requiredAttestations: string[];
  trustedRootPath?: string;
  rekorUrl: string;
  requireTlog: boolean;
  signatureRepository?: string;
  registry: RegistryOptions;
}

export interface VerifyResult {
  digest: string;
  imageRef: string;
  certificateIdentity: string;
  /** Predicate types verified. */
  attestations: string[];
  signatures: { identity: string; issuer: string; rekorLogIndex?: number }[];
  /** Machine-readable report. */
  report: unknown;
}

/** The one library call: `verifyImage` from @kaniko-ts/sigstore; a failed check throws VERIFICATION_FAILED. */
export async function callVerifyImage(request: VerifyRequest, ctx: StepContext): Promise<VerifyResult> {
  const registry = createRegistryClient(request.registry, [request.image]);
  try {
    const policy: TrustPolicy = { tlogThreshold: request.requireTlog ? 1 : 0 };
    if (request.identity.kind === 'key')
      policy.publicKey = await pemOf(request.identity.publicKey, ctx.workspace);
    else {
      const { identity, identityRegexp, issuer, issuerRegexp } = request.identity;
      policy.certificate = {
        identities: [
          {
            ...(identity !== undefined ? { subject: identity } : {}),
            ...(identityRegexp !== undefined ? { subjectRegExp: identityRegexp } : {}),
            ...(issuer !== undefined ? { issuer } : {}),
            ...(issuerRegexp !== undefined ? { issuerRegExp: issuerRegexp } : {}),
          },
        ],
      };
    }
    const options: VerifyImageOptions = {
      image: imageTargetOf(request.image, registry),
      policy,
      attestations: request.requiredAttestations,
    };
    if (request.signatureRepository !== undefined) options.signatureRepository = request.signatureRepository;
    if (request.trustedRootPath !== undefined) {
      options.trustedRoot = parseTrustedRoot(await readFile(request.trustedRootPath));
    } else if (request.identity.kind === 'certificate' || request.requireTlog) {
      options.trustedRoot = await fetchPublicGoodTrustedRoot({
        cachePath: join(ctx.tempDir, 'tuf'),
        offlineFallback: true,
      });
    }
    const report = await verifyImage(options);
    if (!report.verified) {
      throw new StepsError(
        'VERIFICATION_FAILED',
        `verifying ${request.image}: ${report.failures.join('; ')}`,
      );
    }
    const signerOf = (c: (typeof report.signatures)[number]) =>
      c.signer?.subject ?? (c.publicKey ? 'cosign key' : '');
    return {
      digest: report.digest,
      imageRef: report.reference,
      certificateIdentity: report.signer?.subject ?? 'cosign key',
      attestations: report.requiredAttestations.filter((a) => a.satisfied).map((a) => a.predicateType),
      signatures: report.signatures
        .filter((c) => c.verified)
        .map((c) => ({
          identity: signerOf(c),
          issuer: c.signer?.issuer ?? '',
          ...(c.tlogEntries[0]?.logIndex !== undefined
            ? { rekorLogIndex: Number(c.tlogEntries[0].logIndex) }
            : {}),
        })),
      report,
    };
  } finally {
    await registry.close();
  }
}

/** Policy export (shared with the policy step): `exportPolicy` from @kaniko-ts/sigstore, one engine's YAML. */
export async function callExportPolicy(
  request: {
    images: string[];
    identity: VerifyIdentity;
    requiredAttestations: string[];
    format: 'kyverno' | 'policy-controller';
    name: string;
  },
  workspace: string,
): Promise<string> {
  const policy: ImagePolicy = {
    name: request.name,
    images: request.images,
    attestations: request.requiredAttestations.map((predicateType) => ({ predicateType })),
  };
  if (request.identity.kind === 'key')
    policy.publicKeys = [await pemOf(request.identity.publicKey, workspace)];
  else {
    const { identity, identityRegexp, issuer, issuerRegexp } = request.identity;
    policy.identities = [
      {
        ...(identity !== undefined ? { subject: identity } : {}),
        ...(identityRegexp !== undefined ? { subjectRegExp: identityRegexp } : {}),
        ...(issuer !== undefined ? { issuer } : {}),
        ...(issuerRegexp !== undefined ? { issuerRegExp: issuerRegexp } : {}),
      },
    ];
  }
  const exported = exportPolicy(policy);
  return request.format === 'kyverno' ? exported.kyvernoYaml : exported.policyControllerYaml;
}

export function toVerifyIdentity(inputs: {
  key?: string | undefined;
  'certificate-identity'?: string | undefined;
  'certificate-identity-regexp'?: string | undefined;
  'certificate-oidc-issuer'?: string | undefined;
  'certificate-oidc-issuer-regexp'?: string | undefined;
}): VerifyIdentity {
  if (inputs.key) return { kind: 'key', publicKey: inputs.key };
  const id: VerifyIdentity = { kind: 'certificate' };
  if (inputs['certificate-identity']) id.identity = inputs['certificate-identity'];
  if (inputs['certificate-identity-regexp']) id.identityRegexp = inputs['certificate-identity-regexp'];
  if (inputs['certificate-oidc-issuer']) id.issuer = inputs['certificate-oidc-issuer'];
  if (inputs['certificate-oidc-issuer-regexp']) id.issuerRegexp = inputs['certificate-oidc-issuer-regexp'];
  if (id.identity === undefined && id.identityRegexp === undefined) {
    throw new StepsError(
      'MISSING_INPUT',
      'configuring verify: give certificate-identity, certificate-identity-regexp or key (verifying without an identity proves nothing)',
    );
  }
  if (id.issuer === undefined && id.issuerRegexp === undefined) {
    throw new StepsError('MISSING_INPUT', 'configuring verify: give certificate-oidc-issuer or its regexp');
  }
  return id;
}

export function toVerifyRequest(ctx: StepContext, inputs: InferInputs<typeof verifySpec>): VerifyRequest {
  const request: VerifyRequest = {
    image: inputs.image,
    identity: toVerifyIdentity(inputs),
    requiredAttestations: inputs['require-attestation'].map((t) => PREDICATE_TYPES[t.toLowerCase()] ?? t),
    rekorUrl: inputs['rekor-url'],
    requireTlog: !inputs['ignore-tlog'],
    registry: toRegistryOptions(inputs, ctx.env),
  };
  if (inputs['trusted-root']) {
    const p = inputs['trusted-root'];
    request.trustedRootPath = isAbsolute(p) ? p : resolve(ctx.workspace, p);
  }
  if (inputs['signature-repository']) request.signatureRepository = inputs['signature-repository'];
  return request;
}

export async function runVerify(
  ctx: StepContext,
  inputs: InferInputs<typeof verifySpec>,
): Promise<InferOutputs<typeof verifySpec>> {
  return ctx.group(`verify ${inputs.image}`, async () => {
    const request = toVerifyRequest(ctx, inputs);
    const result = await callVerifyImage(request, ctx);
    let policyPath = '';
    if (inputs['policy-output']) {
      const p = inputs['policy-output'];
      policyPath = isAbsolute(p) ? p : resolve(ctx.workspace, p);
      const policy = await callExportPolicy(
        {
          images: [result.imageRef.split('@')[0] ?? result.imageRef],
          identity: request.identity,
          requiredAttestations: request.requiredAttestations,
          format: inputs['policy-format'],
          name: 'kaniko-ts-signed-images',
        },
        ctx.workspace,
      );
      await writeFile(policyPath, policy);
    }
    ctx.addSummary({
      title: 'Verification',
      rows: [
        ['image', result.imageRef],
        ['signer', result.certificateIdentity],
        ['attestations', result.attestations.join(', ') || 'none required'],
        ...result.signatures.map((s, i): [string, string] => [
          `signature ${i + 1}`,
          `${s.identity} (${s.issuer}), rekor ${s.rekorLogIndex ?? '–'}`,
        ]),
      ],
    });
    return {
      verified: 'true',
      digest: result.digest,
      'image-ref': result.imageRef,
      'certificate-identity': result.certificateIdentity,
      attestations: result.attestations.join(','),
      report: JSON.stringify(result.report),
      'policy-path': policyPath,
    };
  });
}
