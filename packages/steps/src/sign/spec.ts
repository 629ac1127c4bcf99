import { defineSpec } from '../define-step.js';
import { pushedImageInput, registryInputs, signingInputs } from '../internal/common-inputs.js';

/** The sign step: a cosign-compatible signature of one image digest. */
export const signSpec = /* @__PURE__ */ defineSpec({
  name: 'sign',
  description: 'Sign an image digest keyless (OIDC → Fulcio → Rekor) or with a cosign key.',
  inputs: {
    image: pushedImageInput(
      'Image to sign, preferably by digest (repo@sha256:…); a tag is resolved to its digest first.',
    ),
    annotations: {
      type: 'list',
      flag: 'annotation',
      short: 'a',
      separator: 'newline',
      description: 'Extra key=value annotations in the signed payload.',
    },
    ...signingInputs,
    ...registryInputs,
  },
  outputs: {
    digest: { description: 'Digest that was signed.', env: 'KANIKO_TS_DIGEST' },
    'image-ref': { description: 'repo@digest that was signed.', env: 'KANIKO_TS_IMAGE_REF' },
    'signature-ref': {
      description: 'Where the signature was stored (referrer or .sig tag).',
      env: 'KANIKO_TS_SIGNATURE_REF',
    },
    'bundle-path': { description: 'Local copy of the Sigstore bundle (JSON).' },
    'certificate-identity': { description: 'Identity (SAN) in the signing certificate, empty with a key.' },
    'certificate-oidc-issuer': { description: 'OIDC issuer in the signing certificate, empty with a key.' },
    'rekor-log-index': { description: 'Rekor log index of the entry, empty without tlog upload.' },
  },
});
