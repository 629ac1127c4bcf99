import { createRequire } from 'node:module';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { getTrustedRoot } from '@sigstore/tuf';
import { SigstoreError } from './sigstore-error.js';

export type { TrustedRoot } from '@sigstore/protobuf-specs';

const PUBLIC_GOOD_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
const OP = 'loading trusted root';

interface TimeRange {
  start?: Date;
  end?: Date;
}

function checkRange(range: TimeRange | undefined, what: string): void {
  if (!range?.start) {
    throw new SigstoreError('TRUSTED_ROOT_INVALID', `${OP}: ${what} has no validFor.start`);
  }
  if (range.end && range.end.getTime() < range.start.getTime()) {
    throw new SigstoreError('TRUSTED_ROOT_INVALID', `${OP}: ${what} validFor ends before it starts`);
  }
}

/**
 * Checks what sigstore-js takes on trust: every log key and certificate authority has a validity
 * window with a start (a missing bound is malformed, not unbounded), windows are ordered, and CAs
 * carry certificates.
 */
export function validateTrustedRoot(root: TrustedRoot): TrustedRoot {
  for (const [kind, logs] of [
    ['tlog', root.tlogs],
    ['ctlog', root.ctlogs],
  ] as const) {
    logs.forEach((log, i) => {
      if (!log.publicKey?.rawBytes?.length) {
        throw new SigstoreError('TRUSTED_ROOT_INVALID', `${OP}: ${kind} ${i} has no public key`);
      }
      checkRange(log.publicKey.validFor, `${kind} ${log.baseUrl || i} key`);
    });
  }
  for (const [kind, cas] of [
    ['certificate authority', root.certificateAuthorities],
    ['timestamp authority', root.timestampAuthorities],
  ] as const) {
    cas.forEach((ca, i) => {
      if (!ca.certChain?.certificates.length) {
        throw new SigstoreError('TRUSTED_ROOT_INVALID', `${OP}: ${kind} ${i} has no certificates`);
      }
      checkRange(ca.validFor, `${kind} ${ca.uri || i}`);
    });
  }
  return root;
}

/** Parses and validates a `trusted_root.json` (text, bytes or parsed JSON). */
export function parseTrustedRoot(json: string | Uint8Array | object): TrustedRoot {
  let value: unknown = json;
  try {
    if (typeof json === 'string' || json instanceof Uint8Array) {
      value = JSON.parse(Buffer.from(json).toString('utf8'));
    }
  } catch (cause) {
    throw new SigstoreError('TRUSTED_ROOT_INVALID', `${OP}: not JSON`, { cause });
  }
  const media = (value as { mediaType?: unknown })?.mediaType;
  if (typeof media !== 'string' || !media.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new SigstoreError('TRUSTED_ROOT_INVALID', `${OP}: unexpected mediaType ${String(media)}`);
  }
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(value);
  } catch (cause) {
    throw new SigstoreError('TRUSTED_ROOT_INVALID', `${OP}: malformed trusted root`, { cause });
  }
  return validateTrustedRoot(root);
}

/**
 * The public-good trusted root embedded in `@sigstore/tuf`'s seed, for offline use. It is as fresh as
 * the installed `@sigstore/tuf`; {@link fetchPublicGoodTrustedRoot} refreshes it through TUF.
 */
export function embeddedPublicGoodTrustedRoot(): TrustedRoot {
  const require = createRequire(import.meta.url);
  const seeds = require('@sigstore/tuf/seeds.json') as Record<string, { targets: Record<string, string> }>;
  const b64 = seeds[PUBLIC_GOOD_MIRROR]?.targets['trusted_root.json'];
  if (!b64) throw new SigstoreError('TRUSTED_ROOT_INVALID', `${OP}: no embedded public-good root`);
  return parseTrustedRoot(Buffer.from(b64, 'base64'));
}

/**
 * The public-good trusted root through TUF (verified metadata, cached under `cachePath`); when the
 * TUF repository cannot be reached and `offlineFallback` is set, the embedded seed.
 */
export async function fetchPublicGoodTrustedRoot(options: {
  cachePath: string;
  mirrorURL?: string;
  offlineFallback?: boolean;
  timeout?: number;
}): Promise<TrustedRoot> {
  try {
    const root = await getTrustedRoot({
      cachePath: options.cachePath,
      mirrorURL: options.mirrorURL ?? PUBLIC_GOOD_MIRROR,
      timeout: options.timeout ?? 10_000,
      retry: 1,
    });
    return validateTrustedRoot(root);
  } catch (cause) {
    if (options.offlineFallback && !(cause instanceof SigstoreError)) {
      return embeddedPublicGoodTrustedRoot();
    }
    if (cause instanceof SigstoreError) throw cause;
    throw new SigstoreError('TRUSTED_ROOT_UNAVAILABLE', `${OP}: updating through TUF failed`, { cause });
  }
}
