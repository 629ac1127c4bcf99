import { readFile } from 'node:fs/promises';
import { SigstoreError } from './sigstore-error.js';

/** Supplies an OIDC identity token (the sigstore-js `IdentityProvider` shape). */
export interface IdentityProvider {
  getToken(): Promise<string>;
}

export interface IdentityTokenOptions {
  /** An explicit token (highest priority). */
  token?: string;
  /** A file holding the token (next priority), e.g. a projected service-account token. */
  tokenFile?: string;
  /** The caller's environment; never `process.env` read here. */
  env?: Record<string, string | undefined>;
  /** OIDC audience to request from GitHub Actions (default `sigstore`). */
  audience?: string;
  /** GitHub token request attempts (default 3). */
  attempts?: number;
  fetch?: typeof globalThis.fetch;
}

export type IdentityTokenSource = 'explicit' | 'file' | 'github-actions' | 'SIGSTORE_ID_TOKEN';

const OP = 'getting identity token';

async function githubToken(url: string, bearer: string, options: IdentityTokenOptions): Promise<string> {
  const target = new URL(url);
  target.searchParams.set('audience', options.audience ?? 'sigstore');
  const doFetch = options.fetch ?? globalThis.fetch;
  const attempts = options.attempts ?? 3;
  let last = '';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    try {
      const res = await doFetch(target, {
        headers: { Authorization: `bearer ${bearer}`, Accept: 'application/json; api-version=2.0' },
      });
      if (res.ok) {
        const body = (await res.json()) as { value?: unknown };
        if (typeof body.value === 'string' && body.value) return body.value;
        throw new SigstoreError('IDENTITY_TOKEN', `${OP}: GitHub Actions answered without a token`);
      }
      last = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) break;
    } catch (e) {
      if (e instanceof SigstoreError) throw e;
      last = e instanceof Error ? e.message : String(e);
    }
  }
  throw new SigstoreError(
    'IDENTITY_TOKEN',
    `${OP}: GitHub Actions token request to ${target.host} failed: ${last}`,
  );
}

/** Which source {@link identityProvider} will use, without contacting anything. */
export function identityTokenSource(options: IdentityTokenOptions): IdentityTokenSource | undefined {
  const env = options.env ?? {};
  if (options.token) return 'explicit';
  if (options.tokenFile) return 'file';
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) return 'github-actions';
  if (env.SIGSTORE_ID_TOKEN) return 'SIGSTORE_ID_TOKEN';
  return undefined;
}

/**
 * Resolves an identity token, in order: explicit token, token file, GitHub Actions
 * (`ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`, audience `sigstore`), `SIGSTORE_ID_TOKEN` (GitLab
 * `id_tokens`). The token is fetched lazily and at most once.
 */
export function identityProvider(options: IdentityTokenOptions): IdentityProvider {
  let pending: Promise<string> | undefined;
  const resolve = async (): Promise<string> => {
    const env = options.env ?? {};
    switch (identityTokenSource(options)) {
      case 'explicit':
        return options.token as string;
      case 'file': {
        const text = await readFile(options.tokenFile as string, 'utf8').catch((cause: unknown) => {
          throw new SigstoreError('IDENTITY_TOKEN', `${OP}: cannot read token file ${options.tokenFile}`, {
            cause,
          });
        });
        if (!text.trim())
          throw new SigstoreError('IDENTITY_TOKEN', `${OP}: token file ${options.tokenFile} is empty`);
        return text.trim();
      }
      case 'github-actions':
        return githubToken(
          env.ACTIONS_ID_TOKEN_REQUEST_URL as string,
          env.ACTIONS_ID_TOKEN_REQUEST_TOKEN as string,
          options,
        );
      case 'SIGSTORE_ID_TOKEN':
        return env.SIGSTORE_ID_TOKEN as string;
      default:
        throw new SigstoreError(
          'IDENTITY_TOKEN',
          `${OP}: no OIDC token (give one explicitly, run in GitHub Actions with id-token: write, or set SIGSTORE_ID_TOKEN)`,
        );
    }
  };
  return {
    getToken() {
      pending ??= resolve();
      return pending;
    },
  };
}
