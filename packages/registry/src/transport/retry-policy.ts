/**
 * How the transport retries: exponential backoff with jitter on 5xx, 429 (honouring `Retry-After`),
 * connection resets and timeouts. Every request gets at most `maxAttempts` tries and sleeps at most
 * `maxTotalDelayMs` in total, so a broken registry fails in bounded time instead of hammering it.
 */
export interface RetryPolicy {
  /** Tries per request, including the first; 1 disables retries. Default 5. */
  readonly maxAttempts: number;
  /** Delay before the first retry; doubles (times `multiplier`) each time. Default 250 ms. */
  readonly initialDelayMs: number;
  readonly multiplier: number;
  /** Ceiling of one backoff delay. Default 8 s. */
  readonly maxDelayMs: number;
  /** Fraction of each delay that is random (0 = none, 1 = full jitter). Default 0.5. */
  readonly jitter: number;
  /** Total sleep allowed for one request across its retries; a longer `Retry-After` fails instead. Default 60 s. */
  readonly maxTotalDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 250,
  multiplier: 2,
  maxDelayMs: 8_000,
  jitter: 0.5,
  maxTotalDelayMs: 60_000,
};

/**
 * The delay before retry number `retry` (1-based): `initial * multiplier^(retry-1)`, capped, with the
 * random part drawn from `random()` in [0, 1); never shorter than the server's `Retry-After`.
 */
export function backoffDelay(
  policy: RetryPolicy,
  retry: number,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (retry - 1));
  const delay = base * (1 - policy.jitter) + base * policy.jitter * random();
  return Math.max(Math.round(delay), retryAfterMs ?? 0);
}

/** Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

const retryableNetworkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Network-level failures a retry may fix (resets, refused connections, timeouts, short bodies). */
export function isRetryableNetworkError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && retryableNetworkCodes.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** True for timeouts (so the error code can say TIMEOUT rather than NETWORK). */
export function isTimeoutError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT'
  );
}
