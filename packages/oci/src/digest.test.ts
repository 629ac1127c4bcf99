import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  createDigester,
  digestHex,
  digestStream,
  isDigest,
  parseDigest,
  sha256,
  verifyBytes,
  verifyingStream,
} from './digest.js';
import { OciError } from './oci-error.js';

// FIPS 180-2 test vectors, independent of this implementation.
const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ABC = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

async function drain(stream: NodeJS.ReadableStream & AsyncIterable<unknown>) {
  for await (const _ of stream);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as OciError).code;
  }
  return undefined;
}

describe('parseDigest', () => {
  it('accepts sha256 and sha512 lower-case hex', () => {
    expect(parseDigest(ABC)).toBe(ABC);
    expect(parseDigest(`sha512:${'a'.repeat(128)}`)).toBe(`sha512:${'a'.repeat(128)}`);
  });
  it.each([
    ['no algorithm', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['short hex', 'sha256:abc'],
    ['upper case', ABC.toUpperCase().replace('SHA256', 'sha256')],
    ['unknown algorithm', `md5:${'a'.repeat(32)}`],
    ['sha512 with sha256 length', `sha512:${'a'.repeat(64)}`],
    ['non hex', `sha256:${'g'.repeat(64)}`],
    ['empty', ''],
  ])('rejects %s', (_name, value) => {
    expect(codeOf(() => parseDigest(value))).toBe('INVALID_DIGEST');
    expect(isDigest(value)).toBe(false);
  });
  it('names the problem in the message', () => {
    expect(() => parseDigest(`md5:${'a'.repeat(32)}`)).toThrow(/unsupported algorithm "md5"/);
  });
});

describe('sha256 and digesters', () => {
  it('match the FIPS test vectors', () => {
    expect(sha256('')).toBe(EMPTY);
    expect(sha256('abc')).toBe(ABC);
    expect(sha256(new TextEncoder().encode('abc'))).toBe(ABC);
    expect(digestHex(ABC)).toBe(ABC.slice(7));
  });
  it('incremental digester equals one-shot and counts bytes', () => {
    const d = createDigester();
    d.update('a');
    d.update(new Uint8Array([0x62, 0x63]));
    expect(d.size).toBe(3);
    expect(d.digest()).toBe(ABC);
  });
  it('digestStream passes bytes through and reports digest and size', async () => {
    const ds = digestStream();
    const out: Buffer[] = [];
    await pipeline(Readable.from([Buffer.from('a'), Buffer.from('bc')]), ds, async (src) => {
      for await (const c of src) out.push(c as Buffer);
    });
    expect(Buffer.concat(out).toString()).toBe('abc');
    expect(ds.result()).toEqual({ digest: ABC, size: 3 });
  });
  it('digestStream refuses to report before it finished', () => {
    expect(codeOf(() => digestStream().result())).toBe('INVALID_ARGUMENT');
  });
});

describe('verifyingStream', () => {
  it('passes matching bytes', async () => {
    const v = verifyingStream(ABC, 3);
    const chunks: Buffer[] = [];
    v.on('data', (c: Buffer) => chunks.push(c));
    await pipeline(Readable.from([Buffer.from('abc')]), v);
    expect(Buffer.concat(chunks).toString()).toBe('abc');
  });
  it('fails with DIGEST_MISMATCH on corrupt bytes, never ending cleanly', async () => {
    const v = verifyingStream(ABC, 3);
    await expect(drain(Readable.from([Buffer.from('abd')]).pipe(v))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
  });
  it('fails with SIZE_MISMATCH on short and long reads', async () => {
    await expect(
      drain(Readable.from([Buffer.from('ab')]).pipe(verifyingStream(ABC, 3))),
    ).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
    });
    await expect(
      drain(Readable.from([Buffer.from('abcd')]).pipe(verifyingStream(ABC, 3))),
    ).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
  });
  it('checks the digest even without an expected size', async () => {
    await expect(drain(Readable.from([Buffer.from('x')]).pipe(verifyingStream(ABC)))).rejects.toBeInstanceOf(
      OciError,
    );
  });
  it('verifyBytes checks in-memory bytes', () => {
    expect(codeOf(() => verifyBytes(new TextEncoder().encode('abc'), ABC, 3))).toBeUndefined();
    expect(codeOf(() => verifyBytes(new TextEncoder().encode('abd'), ABC, 3))).toBe('DIGEST_MISMATCH');
    expect(codeOf(() => verifyBytes(new TextEncoder().encode('abc'), ABC, 4))).toBe('SIZE_MISMATCH');
  });
});
