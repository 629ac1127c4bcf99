import { defineSpec } from '../define-step.js';

/** cosign-compatible key pair generation (CLI only). */
export const generateKeyPairSpec = /* @__PURE__ */ defineSpec({
  name: 'generate-key-pair',
  description: 'Generate a cosign-compatible key pair (encrypted cosign.key, cosign.pub).',
  surfaces: ['cli'],
  inputs: {
    'output-key-prefix': { type: 'string', default: 'cosign', description: 'File name prefix of the pair.' },
    password: {
      type: 'secret',
      env: 'COSIGN_PASSWORD',
      description: 'Password that encrypts the private key (empty allowed).',
    },
  },
  outputs: {
    'private-key-path': { description: 'Path of the encrypted private key.' },
    'public-key-path': { description: 'Path of the public key.' },
  },
});
