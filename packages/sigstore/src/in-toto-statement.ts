import { SigstoreError } from './sigstore-error.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
/** The predicate cosign v3 signs images with in the bundle format. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

export interface InTotoSubject {
  name?: string;
  digest: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface InTotoStatement {
  _type: string;
  subject: InTotoSubject[];
  predicateType: string;
  predicate?: unknown;
}

/** Splits `sha256:<hex>` into algorithm and hex, rejecting anything else. */
export function splitDigest(digest: string): { algorithm: string; hex: string } {
  const m = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(digest);
  if (!m?.[1] || !m[2]) throw new SigstoreError('INVALID_ARGUMENT', `parsing digest ${digest}: invalid`);
  return { algorithm: m[1], hex: m[2] };
}

/**
 * An in-toto v1 statement about one image digest, as cosign v3 writes it: key order `_type`,
 * `subject`, `predicateType`, `predicate`. A subject `name` is included only when given (cosign's
 * `sign` statement has none; its `attest` statement names the repository).
 */
export function createStatement(options: {
  digest: string;
  predicateType: string;
  predicate: unknown;
  name?: string;
  annotations?: Record<string, string>;
}): InTotoStatement {
  const { algorithm, hex } = splitDigest(options.digest);
  const subject: InTotoSubject = {
    ...(options.name !== undefined ? { name: options.name } : {}),
    digest: { [algorithm]: hex },
    ...(options.annotations && Object.keys(options.annotations).length
      ? { annotations: options.annotations }
      : {}),
  };
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [subject],
    predicateType: options.predicateType,
    predicate: options.predicate,
  };
}

/** Parses a DSSE payload as an in-toto statement (v1 or v0.1). */
export function parseStatement(payload: Uint8Array): InTotoStatement {
  let value: InTotoStatement;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8')) as InTotoStatement;
  } catch (cause) {
    throw new SigstoreError('BUNDLE_INVALID', 'parsing in-toto statement: not JSON', { cause });
  }
  if (
    (value?._type !== IN_TOTO_STATEMENT_V1 && value?._type !== IN_TOTO_STATEMENT_V01) ||
    !Array.isArray(value.subject) ||
    typeof value.predicateType !== 'string'
  ) {
    throw new SigstoreError('BUNDLE_INVALID', 'parsing in-toto statement: not an in-toto statement');
  }
  return value;
}

/** True when one of the statement's subjects has exactly this digest. */
export function statementCovers(statement: InTotoStatement, digest: string): boolean {
  const { algorithm, hex } = splitDigest(digest);
  return statement.subject.some((s) => s?.digest?.[algorithm] === hex);
}
