import { createHash } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import type { SignatureBundle, VerificationMaterial, Witness } from '@sigstore/sign';
import { redact } from './sign-payload.js';
import type { ServiceOptions } from './signers.js';
import { SigstoreError } from './sigstore-error.js';

/** What Rekor v1 answers for a logged entry (`{<uuid>: LogEntry}`). */
interface LogEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: {
    signedEntryTimestamp?: string;
    inclusionProof?: {
      logIndex: number;
      treeSize: number;
      rootHash: string;
      hashes: string[];
      checkpoint: string;
    };
  };
}

const OP = 'logging payload signature in rekor';

function toTlogEntry(entry: LogEntry): TransparencyLogEntry {
  const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8')) as {
    kind?: string;
    apiVersion?: string;
  };
  const set = entry.verification?.signedEntryTimestamp;
  const proof = entry.verification?.inclusionProof;
  return {
    logIndex: String(entry.logIndex),
    logId: { keyId: Buffer.from(entry.logID, 'hex') },
    kindVersion: { kind: body.kind ?? '', version: body.apiVersion ?? '' },
    integratedTime: String(entry.integratedTime),
    inclusionPromise: set ? { signedEntryTimestamp: Buffer.from(set, 'base64') } : undefined,
    inclusionProof: proof
      ? {
          logIndex: String(proof.logIndex),
          treeSize: String(proof.treeSize),
          rootHash: Buffer.from(proof.rootHash, 'hex'),
          hashes: proof.hashes.map((h) => Buffer.from(h, 'hex')),
          checkpoint: { envelope: proof.checkpoint },
        }
      : undefined,
    canonicalizedBody: Buffer.from(entry.body, 'base64'),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Logs a legacy `.sig` payload signature in Rekor v1 as a `hashedrekord` entry whose data hash is
 * the one the key signed over (SHA-384 for P-384, SHA-512 for P-521 and Ed25519ph), which Rekor
 * checks the signature against. sigstore-js's `RekorWitness` always names SHA-256, so it serves only
 * SHA-256 keys. Retries network errors, 429 and 5xx; a 409 (already logged) fetches the entry.
 */
export class HashedRekordWitness implements Witness {
  readonly #payload: Uint8Array;
  readonly #hash: 'sha384' | 'sha512';
  readonly #url: string;
  readonly #retries: number;
  readonly #timeout: number;
  readonly #fetch: typeof globalThis.fetch;

  constructor(
    options: {
      rekorURL: string;
      /** the signed bytes, hashed here with `hash` */
      payload: Uint8Array;
      hash: 'sha384' | 'sha512';
      fetch?: typeof globalThis.fetch;
    } & ServiceOptions,
  ) {
    this.#payload = options.payload;
    this.#hash = options.hash;
    this.#url = `${options.rekorURL.replace(/\/+$/, '')}/api/v1/log/entries`;
    this.#retries = options.retries ?? 3;
    this.#timeout = options.timeout ?? 30_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  async testify(content: SignatureBundle, publicKey: string): Promise<VerificationMaterial> {
    if (content.$case !== 'messageSignature') {
      throw new SigstoreError('INVALID_ARGUMENT', `${OP}: not a message signature`);
    }
    const proposed = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: {
          hash: {
            algorithm: this.#hash,
            value: createHash(this.#hash).update(this.#payload).digest('hex'),
          },
        },
        signature: {
          content: Buffer.from(content.messageSignature.signature).toString('base64'),
          publicKey: { content: Buffer.from(publicKey).toString('base64') },
        },
      },
    };
    const entry = await this.#request(this.#url, JSON.stringify(proposed));
    return { tlogEntries: [toTlogEntry(entry)] };
  }

  async #request(url: string, body?: string): Promise<LogEntry> {
    let last = '';
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (attempt) await sleep(Math.min(2000, 250 * 2 ** (attempt - 1)));
      let res: Response;
      try {
        res = await this.#fetch(url, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.timeout(this.#timeout),
        });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        last = `${(e as Error).message}${cause ? `: ${cause.code ?? cause.message}` : ''}`;
        continue;
      }
      if (res.status === 409 && body !== undefined) {
        const location = res.headers.get('location');
        await res.body?.cancel();
        if (location) return this.#request(new URL(location, url).toString());
      }
      const text = await res.text();
      if (res.ok) {
        const [entry] = Object.values(JSON.parse(text) as Record<string, LogEntry>);
        if (!entry) throw new SigstoreError('SIGNING_FAILED', `${OP}: empty response`);
        return entry;
      }
      last = `HTTP ${res.status} ${redact(text.slice(0, 200))}`;
      if (res.status !== 429 && res.status < 500) break;
    }
    throw new SigstoreError('SIGNING_FAILED', `${OP}: ${url}: ${last}`);
  }
}
