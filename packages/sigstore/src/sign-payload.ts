import type { Bundle } from '@sigstore/bundle';
import {
  DSSEBundleBuilder,
  MessageSignatureBundleBuilder,
  RekorWitness,
  type Signer,
  TSAWitness,
  type Witness,
} from '@sigstore/sign';
import { type ServiceOptions, serviceRetry } from './signers.js';
import { SigstoreError } from './sigstore-error.js';

export const PUBLIC_GOOD_REKOR_URL = 'https://rekor.sigstore.dev';

/** Which witnesses countersign a signature. */
export interface WitnessOptions extends ServiceOptions {
  /** Upload to Rekor (default true). */
  tlogUpload?: boolean;
  rekorURL?: string;
  /** Rekor API major version (default 1). */
  rekorVersion?: 1 | 2;
  /** RFC 3161 timestamp authority base URL (`/api/v1/timestamp` is appended); none by default. */
  tsaURL?: string;
}

export function createWitnesses(options: WitnessOptions = {}): Witness[] {
  const witnesses: Witness[] = [];
  const fetchOptions = { retry: serviceRetry(options), timeout: options.timeout ?? 30_000 };
  if (options.tlogUpload ?? true) {
    witnesses.push(
      new RekorWitness({
        rekorBaseURL: options.rekorURL ?? PUBLIC_GOOD_REKOR_URL,
        entryType: 'dsse',
        majorApiVersion: options.rekorVersion ?? 1,
        fetchOnConflict: true,
        ...fetchOptions,
      }),
    );
  }
  if (options.tsaURL) witnesses.push(new TSAWitness({ tsaBaseURL: options.tsaURL, ...fetchOptions }));
  return witnesses;
}

const JWT = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

/** Error text from sigstore-js with anything token-shaped removed (its messages may embed the token). */
export function redact(text: string): string {
  return text.replace(JWT, '[redacted token]');
}

function describe(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const err = cur as { code?: unknown; message?: unknown; cause?: unknown };
    const msg = typeof err.message === 'string' ? err.message : String(cur);
    parts.push(typeof err.code === 'string' && !msg.includes(err.code) ? `${err.code}: ${msg}` : msg);
    cur = err.cause;
  }
  return redact(parts.join(': '));
}

async function run(operation: string, create: () => Promise<Bundle>): Promise<Bundle> {
  try {
    return await create();
  } catch (e) {
    if (e instanceof SigstoreError) throw e;
    const message = `${operation}: ${describe(e)}`;
    // The cause is rebuilt from redacted text: sigstore-js errors can carry the identity token.
    throw new SigstoreError('SIGNING_FAILED', message, { cause: new Error(message) });
  }
}

/**
 * An RFC 3161 timestamp (DER `TimeStampResp`) over arbitrary bytes — what cosign puts on a legacy
 * `.att` layer, whose timestamp covers the whole envelope.
 */
export async function timestampBytes(
  data: Uint8Array,
  options: WitnessOptions & { tsaURL: string },
): Promise<Buffer> {
  const tsa = new TSAWitness({
    tsaBaseURL: options.tsaURL,
    retry: serviceRetry(options),
    timeout: options.timeout ?? 30_000,
  });
  try {
    // The witness timestamps the "signature" of the content it is given: hand it the bytes as one.
    const out = await tsa.testify({
      $case: 'messageSignature',
      messageSignature: {
        messageDigest: { algorithm: 1, digest: Buffer.alloc(0) },
        signature: Buffer.from(data),
      },
    });
    const der = out.rfc3161Timestamps[0]?.signedTimestamp;
    if (!der) throw new Error('no timestamp returned');
    return Buffer.from(der);
  } catch (e) {
    const message = `timestamping envelope: ${describe(e)}`;
    throw new SigstoreError('SIGNING_FAILED', message, { cause: new Error(message) });
  }
}

/** Signs `payload` as a message signature (bundle v0.2 content) and collects witness material. */
export function signMessage(payload: Uint8Array, signer: Signer, witnesses: Witness[]): Promise<Bundle> {
  const builder = new MessageSignatureBundleBuilder({ signer, witnesses });
  return run('signing payload', () => builder.create({ data: Buffer.from(payload) }));
}

/** Signs `payload` in a DSSE envelope (bundle v0.3, single certificate) and collects witness material. */
export function signDsse(
  payload: Uint8Array,
  payloadType: string,
  signer: Signer,
  witnesses: Witness[],
): Promise<Bundle> {
  const builder = new DSSEBundleBuilder({ signer, witnesses });
  return run('signing DSSE envelope', () =>
    builder.create({ data: Buffer.from(payload), type: payloadType }),
  );
}
