import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { OciError } from './oci-error.js';

/** A content digest as it appears in manifests: `sha256:<64 hex>` or `sha512:<128 hex>`. */
export type Digest = `sha256:${string}` | `sha512:${string}`;

/** The digest algorithms this package computes and verifies. */
export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_RE = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** True when `value` is a well-formed sha256/sha512 digest (lower-case hex of the right length). */
export function isDigest(value: unknown): value is Digest {
  if (typeof value !== 'string') return false;
  const m = DIGEST_RE.exec(value);
  if (!m) return false;
  const len = HEX_LENGTH[m[1] as DigestAlgorithm];
  return len !== undefined && m[2]!.length === len && /^[0-9a-f]+$/.test(m[2]!);
}

/**
 * Validates and returns `value` as a `Digest`. Throws `OciError('INVALID_DIGEST')` for unknown
 * algorithms, upper-case or non-hex encodings and wrong lengths.
 */
export function parseDigest(value: string): Digest {
  if (isDigest(value)) return value;
  const m = typeof value === 'string' ? DIGEST_RE.exec(value) : null;
  let why = 'expected <algorithm>:<hex>';
  if (m) {
    const len = HEX_LENGTH[m[1] as DigestAlgorithm];
    if (len === undefined) why = `unsupported algorithm ${JSON.stringify(m[1])}`;
    else if (!/^[0-9a-f]+$/.test(m[2]!)) why = 'encoded part must be lower-case hex';
    else why = `${m[1]} needs ${len} hex characters, got ${m[2]!.length}`;
  }
  throw new OciError('INVALID_DIGEST', `parsing digest ${JSON.stringify(String(value))}: ${why}`);
}

/** The algorithm part of a digest (`sha256`). */
export function digestAlgorithm(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

/** The hex part of a digest, as used for blob paths (`blobs/sha256/<hex>`). */
export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** One-shot sha256 of bytes or a UTF-8 string. */
export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Incremental hasher that also counts bytes. */
export interface Digester {
  update(chunk: Uint8Array | string): void;
  /** Bytes seen so far. */
  readonly size: number;
  /** Finishes the hash; call once. */
  digest(): Digest;
}

/** Creates an incremental `Digester` (sha256 by default). */
export function createDigester(algorithm: DigestAlgorithm = 'sha256'): Digester {
  const hash: Hash = createHash(algorithm);
  let size = 0;
  return {
    update(chunk) {
      size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      hash.update(chunk);
    },
    get size() {
      return size;
    },
    digest: () => `${algorithm}:${hash.digest('hex')}` as Digest,
  };
}

/** The digest and byte count of a finished stream. */
export interface DigestResult {
  digest: Digest;
  size: number;
}

/**
 * A pass-through stream that hashes and counts what flows through it. After it has finished
 * (`'finish'`/`'end'`), `result()` returns the digest and size; before that it throws.
 */
export class DigestStream extends Transform {
  readonly #digester: Digester;
  #result: DigestResult | undefined;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    super();
    this.#digester = createDigester(algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#digester.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.#result = { digest: this.#digester.digest(), size: this.#digester.size };
    cb();
  }

  /** Bytes seen so far (live while streaming). */
  get size(): number {
    return this.#digester.size;
  }

  /** The digest and size; only valid once the stream has flushed. */
  result(): DigestResult {
    if (!this.#result) throw new OciError('INVALID_ARGUMENT', 'reading digest: stream has not finished');
    return this.#result;
  }
}

/** A pass-through stream computing digest and size; see `DigestStream`. */
export function digestStream(algorithm: DigestAlgorithm = 'sha256'): DigestStream {
  return new DigestStream(algorithm);
}

/**
 * A pass-through stream that fails unless the bytes hash to `expected` (and, when given, count exactly
 * `expectedSize`). Reading more than `expectedSize` fails as soon as it happens; a wrong digest or short
 * read fails at the end, before `'end'` is emitted, so a consumer never sees a corrupt blob complete.
 */
export function verifyingStream(expected: Digest, expectedSize?: number, what = 'blob'): Transform {
  const digester = createDigester(digestAlgorithm(parseDigest(expected)));
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      digester.update(chunk);
      if (expectedSize !== undefined && digester.size > expectedSize) {
        cb(
          new OciError(
            'SIZE_MISMATCH',
            `verifying ${what} ${expected}: more than the expected ${expectedSize} bytes`,
          ),
        );
        return;
      }
      cb(null, chunk);
    },
    flush(cb) {
      if (expectedSize !== undefined && digester.size !== expectedSize) {
        cb(
          new OciError(
            'SIZE_MISMATCH',
            `verifying ${what} ${expected}: got ${digester.size} bytes, expected ${expectedSize}`,
          ),
        );
        return;
      }
      const actual = digester.digest();
      if (actual !== expected) {
        cb(new OciError('DIGEST_MISMATCH', `verifying ${what} ${expected}: content hashes to ${actual}`));
        return;
      }
      cb();
    },
  });
}

/** Throws `DIGEST_MISMATCH`/`SIZE_MISMATCH` unless in-memory `bytes` match. */
export function verifyBytes(bytes: Uint8Array, expected: Digest, expectedSize?: number, what = 'blob'): void {
  if (expectedSize !== undefined && bytes.byteLength !== expectedSize) {
    throw new OciError(
      'SIZE_MISMATCH',
      `verifying ${what} ${expected}: got ${bytes.byteLength} bytes, expected ${expectedSize}`,
    );
  }
  const algorithm = digestAlgorithm(parseDigest(expected));
  const actual = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
  if (actual !== expected) {
    throw new OciError('DIGEST_MISMATCH', `verifying ${what} ${expected}: content hashes to ${actual}`);
  }
}
