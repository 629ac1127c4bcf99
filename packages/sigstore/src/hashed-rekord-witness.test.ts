import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashedRekordWitness } from './hashed-rekord-witness.js';
import { SigstoreError } from './sigstore-error.js';

const payload = Buffer.from('{"critical":{}}');
const content = {
  $case: 'messageSignature' as const,
  messageSignature: {
    messageDigest: { algorithm: 1, digest: Buffer.alloc(32) },
    signature: Buffer.from('sig'),
  },
};
const logged = (body: object) => ({
  uuid1: {
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    integratedTime: 1700000000,
    logID: 'ab'.repeat(32),
    logIndex: 42,
    verification: { signedEntryTimestamp: Buffer.from('set').toString('base64') },
  },
});

/** A fetch that answers from a list of responses and records the requests. */
function scripted(responses: (() => Response)[]) {
  const requests: { url: string; method: string; body?: string }[] = [];
  const fetch = (async (url: string | URL, init?: RequestInit) => {
    requests.push({ url: String(url), method: init?.method ?? 'GET', body: init?.body as string });
    const next = responses.shift();
    if (!next) throw new Error('no more responses');
    return next();
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

describe('HashedRekordWitness', () => {
  it('logs the payload under the key hash, retrying 503s', async () => {
    const { fetch, requests } = scripted([
      () => new Response('down', { status: 503 }),
      () => new Response('down', { status: 503 }),
      () =>
        new Response(JSON.stringify(logged({ kind: 'hashedrekord', apiVersion: '0.0.1' })), { status: 201 }),
    ]);
    const witness = new HashedRekordWitness({
      rekorURL: 'http://rekor.test/',
      payload,
      hash: 'sha384',
      fetch,
      retries: 2,
    });
    const out = await witness.testify(content, '-----BEGIN PUBLIC KEY-----\n');
    expect(requests).toHaveLength(3);
    expect(requests[0]?.url).toBe('http://rekor.test/api/v1/log/entries');
    const proposed = JSON.parse(requests[2]?.body ?? '{}');
    expect(proposed).toMatchObject({ apiVersion: '0.0.1', kind: 'hashedrekord' });
    expect(proposed.spec.data.hash).toEqual({
      algorithm: 'sha384',
      value: createHash('sha384').update(payload).digest('hex'),
    });
    expect(proposed.spec.signature.content).toBe(Buffer.from('sig').toString('base64'));
    const entry = out.tlogEntries?.[0];
    expect(entry).toMatchObject({
      logIndex: '42',
      integratedTime: '1700000000',
      kindVersion: { kind: 'hashedrekord' },
    });
    expect(Buffer.from(entry?.inclusionPromise?.signedEntryTimestamp ?? []).toString()).toBe('set');
  });

  it('fetches the existing entry on 409', async () => {
    const { fetch, requests } = scripted([
      () => new Response('exists', { status: 409, headers: { location: '/api/v1/log/entries/uuid1' } }),
      () =>
        new Response(JSON.stringify(logged({ kind: 'hashedrekord', apiVersion: '0.0.1' })), { status: 200 }),
    ]);
    const witness = new HashedRekordWitness({
      rekorURL: 'http://rekor.test',
      payload,
      hash: 'sha512',
      fetch,
    });
    const out = await witness.testify(content, 'pem');
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST http://rekor.test/api/v1/log/entries',
      'GET http://rekor.test/api/v1/log/entries/uuid1',
    ]);
    expect(out.tlogEntries?.[0]?.kindVersion?.version).toBe('0.0.1');
  });

  it('does not retry a rejected entry and says why', async () => {
    const { fetch, requests } = scripted([
      () => new Response('{"message":"verifying signature"}', { status: 400 }),
      () => new Response('', { status: 201 }),
    ]);
    const witness = new HashedRekordWitness({
      rekorURL: 'http://rekor.test',
      payload,
      hash: 'sha384',
      fetch,
    });
    const e = await witness.testify(content, 'pem').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SigstoreError);
    expect((e as SigstoreError).code).toBe('SIGNING_FAILED');
    expect((e as Error).message).toMatch(
      /logging payload signature in rekor: .*HTTP 400 .*verifying signature/,
    );
    expect(requests).toHaveLength(1);
  });
});
