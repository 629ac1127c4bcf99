import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { FulcioSigner, type Signature, type Signer } from '@sigstore/sign';
import type { IdentityProvider } from './identity-token.js';
import type { SigningKey } from './signing-key.js';

export type { Signer } from '@sigstore/sign';

/** Retry and timeout for calls to Sigstore services. */
export interface ServiceOptions {
  /** retries after the first attempt (default 3) */
  retries?: number;
  /** per-request timeout in ms (default 30 s) */
  timeout?: number;
}

export const PUBLIC_GOOD_FULCIO_URL = 'https://fulcio.sigstore.dev';

function retryOf(options: ServiceOptions) {
  return { retries: options.retries ?? 3, factor: 2, minTimeout: 250, maxTimeout: 2000 };
}

/** `publicKey.hint` for key-signed bundles: base64 SHA-256 of the SPKI DER. */
export function keyHint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
}

/**
 * A sigstore-js `Signer` over a cosign key (no certificate; the bundle carries a key hint). With
 * `payload`, it signs legacy `.sig` payloads the way cosign does (`SigningKey.signPayload`).
 */
export function keySigner(key: SigningKey, options: { payload?: boolean } = {}): Signer {
  const hint = keyHint(key.publicKey);
  return {
    async sign(data: Buffer): Promise<Signature> {
      const signature = options.payload ? key.signPayload(data) : key.sign(data);
      return { signature, key: { $case: 'publicKey', publicKey: key.publicKeyPem, hint } };
    },
  };
}

/**
 * Keyless signing: an ephemeral P-256 key certified by Fulcio for the OIDC identity. The certificate
 * is requested once and reused for every signature this signer makes (legacy `.sig` and the bundle
 * then carry the same certificate, and Fulcio is asked once).
 */
export function keylessSigner(
  options: { identityProvider: IdentityProvider; fulcioURL?: string } & ServiceOptions,
): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyHolder: Signer = {
    async sign(data) {
      return {
        signature: sign('sha256', data, privateKey),
        key: { $case: 'publicKey', publicKey: publicKeyPem },
      };
    },
  };
  const fulcio = new FulcioSigner({
    identityProvider: options.identityProvider,
    fulcioBaseURL: options.fulcioURL ?? PUBLIC_GOOD_FULCIO_URL,
    keyHolder,
    retry: retryOf(options),
    timeout: options.timeout ?? 30_000,
  });
  let certificate: Promise<string> | undefined;
  return {
    async sign(data: Buffer): Promise<Signature> {
      if (!certificate) {
        const first = fulcio.sign(data);
        certificate = first.then((s) => (s.key.$case === 'x509Certificate' ? s.key.certificate : ''));
        certificate.catch(() => {
          certificate = undefined;
        });
        return first;
      }
      const cert = await certificate;
      return {
        signature: sign('sha256', data, privateKey),
        key: { $case: 'x509Certificate', certificate: cert },
      };
    },
  };
}

export { retryOf as serviceRetry };
