import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SigstoreError } from './sigstore-error.js';
import { embeddedPublicGoodTrustedRoot, fetchPublicGoodTrustedRoot } from './trusted-root.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kaniko-ts-tuf-'));
  dirs.push(d);
  return d;
};

describe('public-good trusted root', () => {
  it('is embedded (offline) with Fulcio, Rekor v1 and v2, CT and TSA material, all validated', () => {
    const root = embeddedPublicGoodTrustedRoot();
    expect(root.certificateAuthorities.some((ca) => ca.uri === 'https://fulcio.sigstore.dev')).toBe(true);
    expect(root.tlogs.some((t) => t.baseUrl === 'https://rekor.sigstore.dev')).toBe(true);
    expect(root.tlogs.some((t) => /log20\d\d-\d\.rekor\.sigstore\.dev/.test(t.baseUrl))).toBe(true);
    expect(root.ctlogs.length).toBeGreaterThan(0);
    expect(root.timestampAuthorities.length).toBeGreaterThan(0);
  });

  it('falls back to the embedded seed when TUF cannot be used, if asked', async () => {
    const opts = { cachePath: tmp(), mirrorURL: 'http://127.0.0.1:1', timeout: 1000 };
    const root = await fetchPublicGoodTrustedRoot({ ...opts, offlineFallback: true });
    expect(root.tlogs).toEqual(embeddedPublicGoodTrustedRoot().tlogs);
    const e = await fetchPublicGoodTrustedRoot(opts).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(SigstoreError);
    expect((e as SigstoreError).code).toBe('TRUSTED_ROOT_UNAVAILABLE');
  });
});
