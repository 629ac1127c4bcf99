import { KanikoError } from '@kaniko-ts/oci';
import { describe, expect, it } from 'vitest';
import { errorFromResponse, isRetryableStatus, RegistryError } from './registry-error.js';

describe('errorFromResponse', () => {
  it('carries the registry diagnostics, the status and names the operation', () => {
    const body = JSON.stringify({
      errors: [
        { code: 'UNAUTHORIZED', message: 'authentication required', detail: [{ Type: 'repository' }] },
      ],
    });
    const e = errorFromResponse('pushing blob sha256:abc to 127.0.0.1:5000/foo', '127.0.0.1:5000', 401, body);
    expect(e).toBeInstanceOf(RegistryError);
    expect(e).toBeInstanceOf(KanikoError);
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.status).toBe(401);
    expect(e.registry).toBe('127.0.0.1:5000');
    expect(e.message).toBe(
      'pushing blob sha256:abc to 127.0.0.1:5000/foo: 401 unauthorized: authentication required',
    );
    expect(e.diagnostics[0]?.detail).toEqual([{ Type: 'repository' }]);
    expect(e.retryable).toBe(false);
  });

  it.each([
    [404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', 'MANIFEST_UNKNOWN', false],
    [404, '{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}', 'BLOB_UNKNOWN', false],
    [
      400,
      '{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match"}]}',
      'DIGEST_INVALID',
      false,
    ],
    [403, '', 'DENIED', false],
    [404, '<html>not found</html>', 'NOT_FOUND', false],
    [429, '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}', 'TOO_MANY_REQUESTS', true],
    [500, 'oops', 'UNAVAILABLE', true],
    [503, '', 'UNAVAILABLE', true],
    [501, '', 'UNAVAILABLE', false],
    [409, '', 'UNEXPECTED', false],
  ])('%i %s → %s', (status, body, code, retryable) => {
    const e = errorFromResponse('op', 'r', status, body);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.message.startsWith(`op: ${status} `)).toBe(true);
  });

  it('classifies statuses for retry', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 501, 505].some(isRetryableStatus)).toBe(false);
  });
});
