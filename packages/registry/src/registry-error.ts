import { KanikoError } from '@kaniko-ts/oci';

/** What went wrong, as a string the caller can branch on. Distribution-spec error codes keep their names. */
export type RegistryErrorCode =
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NAME_UNKNOWN'
  | 'NAME_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'DIGEST_INVALID'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNSUPPORTED'
  | 'TOO_MANY_REQUESTS'
  | 'UNAVAILABLE'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'INVALID_REFERENCE'
  | 'INVALID_RESPONSE'
  | 'CREDENTIALS'
  | 'PLATFORM_NOT_FOUND'
  | 'NOT_FOUND'
  | 'ABORTED'
  | 'UNEXPECTED';

/** One entry of the registry's `{"errors": [...]}` body (distribution spec, "error codes"). */
export interface RegistryDiagnostic {
  readonly code: string;
  readonly message: string;
  readonly detail?: unknown;
}

export interface RegistryErrorDetails {
  /** HTTP status of the failed response, when there was one. */
  readonly status?: number;
  /** Registry host (and port) the operation talked to. */
  readonly registry?: string;
  /** The registry's own diagnostics, parsed from the response body. */
  readonly diagnostics?: readonly RegistryDiagnostic[];
  /** True when the transport may retry (5xx, 429, connection failures). */
  readonly retryable?: boolean;
  /** Seconds the registry asked us to wait (`Retry-After`). */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

/**
 * Every error the registry client throws on purpose. The message says what was being done and where
 * ("pushing blob sha256:… to 127.0.0.1:5000/foo: 401 unauthorized: authentication required"); the
 * fields carry the HTTP status and the registry's `errors[]`. Credentials never appear in either.
 */
export class RegistryError extends KanikoError<RegistryErrorCode> {
  readonly status: number | undefined;
  readonly registry: string | undefined;
  readonly diagnostics: readonly RegistryDiagnostic[];
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: RegistryErrorCode, message: string, details: RegistryErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.registry = details.registry;
    this.diagnostics = details.diagnostics ?? [];
    this.retryable = details.retryable ?? false;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

const knownCodes = new Set<string>([
  'UNAUTHORIZED',
  'DENIED',
  'NAME_UNKNOWN',
  'NAME_INVALID',
  'MANIFEST_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'DIGEST_INVALID',
  'SIZE_INVALID',
  'TAG_INVALID',
  'UNSUPPORTED',
  'TOO_MANY_REQUESTS',
]);

/** Parses a distribution-spec error body; tolerates anything (HTML error pages, empty bodies). */
export function parseDiagnostics(body: string): RegistryDiagnostic[] {
  if (body.trim() === '') return [];
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({
        code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
        message: typeof e.message === 'string' ? e.message : '',
        ...(e.detail === undefined || e.detail === null ? {} : { detail: e.detail }),
      }));
  } catch {
    return [];
  }
}

const statusCodes: Record<number, RegistryErrorCode> = {
  401: 'UNAUTHORIZED',
  403: 'DENIED',
  404: 'NOT_FOUND',
  405: 'UNSUPPORTED',
  408: 'TIMEOUT',
  416: 'BLOB_UPLOAD_INVALID',
  429: 'TOO_MANY_REQUESTS',
};

/** True for statuses a retry may fix: 408, 429 and 5xx except 501/505. */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true;
  return status >= 500 && status !== 501 && status !== 505;
}

/** Maps a failed HTTP response to an error whose message names the operation and registry. */
export function errorFromResponse(
  operation: string,
  registry: string,
  status: number,
  body: string,
  retryAfterSeconds?: number,
): RegistryError {
  const diagnostics = parseDiagnostics(body);
  const first = diagnostics[0];
  let code: RegistryErrorCode;
  if (first !== undefined && knownCodes.has(first.code)) code = first.code as RegistryErrorCode;
  else if (statusCodes[status] !== undefined) code = statusCodes[status];
  else if (status >= 500) code = 'UNAVAILABLE';
  else code = 'UNEXPECTED';
  // A 401/403/429 always keeps its meaning even if the body says something unusual.
  if (status === 401) code = 'UNAUTHORIZED';
  if (status === 429) code = 'TOO_MANY_REQUESTS';
  const summary =
    diagnostics.length > 0
      ? diagnostics.map((d) => `${d.code.toLowerCase()}: ${d.message}`.replace(/: $/, '')).join('; ')
      : statusText(status);
  return new RegistryError(code, `${operation}: ${status} ${summary}`, {
    status,
    registry,
    diagnostics,
    retryable: isRetryableStatus(status),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'bad request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not found',
    405: 'method not allowed',
    408: 'request timeout',
    409: 'conflict',
    413: 'payload too large',
    416: 'range not satisfiable',
    429: 'too many requests',
    500: 'internal server error',
    502: 'bad gateway',
    503: 'service unavailable',
    504: 'gateway timeout',
  };
  return texts[status] ?? 'unexpected status';
}
