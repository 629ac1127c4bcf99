import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { RegistryClient } from '@kaniko-ts/registry';
import { loadPrivateKey, type SignImageOptions, type SignImageResult } from '@kaniko-ts/sigstore';
import { imageTargetOf } from './image-target.js';
import type { SigningOptions } from './signer-options.js';

/** PEM contents as given, or read from the file the value names (relative to the workspace). */
export async function pemOf(value: string, workspace: string): Promise<string> {
  if (value.includes('-----BEGIN')) return value;
  return readFile(isAbsolute(value) ? value : resolve(workspace, value), 'utf8');
}

/** The step's signing options as @kaniko-ts/sigstore's `signImage`/`attestImage` options. */
export async function sigstoreSigning(
  options: SigningOptions,
  image: string,
  registry: RegistryClient,
  workspace: string,
): Promise<SignImageOptions> {
  const out: SignImageOptions = {
    image: imageTargetOf(image, registry),
    formats: options.format === 'both' ? ['legacy', 'bundle'] : [options.format],
    witnesses: {
      tlogUpload: options.rekorUrl !== undefined,
      ...(options.rekorUrl !== undefined ? { rekorURL: options.rekorUrl } : {}),
      ...(options.tsaUrl !== undefined ? { tsaURL: options.tsaUrl } : {}),
    },
  };
  if (options.signatureRepository !== undefined) out.signatureRepository = options.signatureRepository;
  if (options.signer.kind === 'key') {
    out.key = await loadPrivateKey(
      await pemOf(options.signer.privateKey, workspace),
      options.signer.password,
    );
  } else {
    out.identity = { token: options.signer.identityToken };
    out.fulcioURL = options.signer.fulcioUrl;
  }
  return out;
}

/** Library result → the shape the steps report. */
export function signResultOf(result: SignImageResult) {
  return {
    digest: result.digest,
    imageRef: result.reference,
    refs: result.signatureRefs,
    bundle: result.bundle,
    ...(result.certificateIdentity !== undefined ? { certificateIdentity: result.certificateIdentity } : {}),
    ...(result.certificateOidcIssuer !== undefined
      ? { certificateOidcIssuer: result.certificateOidcIssuer }
      : {}),
    ...(result.rekorLogIndex !== undefined ? { rekorLogIndex: result.rekorLogIndex } : {}),
  };
}
