import { X509Certificate } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';

/** The leaf certificate of a bundle, if it has one. */
export function leafCertificate(bundle: Bundle): X509Certificate | undefined {
  const vm = bundle.verificationMaterial.content;
  const der =
    vm.$case === 'certificate'
      ? vm.certificate.rawBytes
      : vm.$case === 'x509CertificateChain'
        ? vm.x509CertificateChain.certificates[0]?.rawBytes
        : undefined;
  return der ? new X509Certificate(Buffer.from(der)) : undefined;
}

/**
 * The PEM chain (intermediates, root) of the trusted-root CA that issued `leaf`, for cosign's
 * `dev.sigstore.cosign/chain` annotation; empty when no CA of the root issued it.
 */
export function chainFromTrustedRoot(leaf: X509Certificate, root: TrustedRoot | undefined): string {
  for (const ca of root?.certificateAuthorities ?? []) {
    const chain = ca.certChain?.certificates.map((c) => new X509Certificate(Buffer.from(c.rawBytes))) ?? [];
    const first = chain[0];
    if (first && leaf.checkIssued(first) && leaf.verify(first.publicKey)) {
      return chain.map((c) => c.toString()).join('');
    }
  }
  return '';
}
