import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  defaultRetryPolicy,
  isRetryableNetworkError,
  parseRetryAfter,
} from './retry-policy.js';

describe('backoffDelay', () => {
  const policy = { ...defaultRetryPolicy, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000, jitter: 0.5 };

  it('grows exponentially up to the cap, with jitter inside the band', () => {
    expect(backoffDelay(policy, 1, () => 0)).toBe(50);
    expect(backoffDelay(policy, 1, () => 0.999999)).toBe(100);
    expect(backoffDelay(policy, 3, () => 0)).toBe(200);
    expect(backoffDelay(policy, 10, () => 0.999999)).toBe(1000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(policy, 2, Math.random);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(200);
    }
  });

  it('never waits less than Retry-After', () => {
    expect(backoffDelay(policy, 1, () => 0, 3000)).toBe(3000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('garbage')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('isRetryableNetworkError', () => {
  it('retries resets and socket errors, also when wrapped as cause', () => {
    expect(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableNetworkError(new Error('y', { cause: { code: 'UND_ERR_SOCKET' } }))).toBe(true);
    expect(
      isRetryableNetworkError(Object.assign(new Error('cert'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })),
    ).toBe(false);
  });
});
