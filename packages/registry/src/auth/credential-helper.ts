import { spawn } from 'node:child_process';
import { RegistryError } from '../registry-error.js';
import { Credentials } from './credentials.js';

export interface CredentialHelperOptions {
  /** Environment for the helper process (PATH decides which `docker-credential-<name>` runs). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds before the helper is killed; default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs `docker-credential-<name> get` with the server URL on stdin (the docker credential-helper
 * protocol). Returns undefined when the helper has no credentials for the server. Helper output is
 * never copied into errors: it may contain the secret.
 */
export async function runCredentialHelper(
  name: string,
  serverUrl: string,
  options: CredentialHelperOptions,
): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new RegistryError(
      'CREDENTIALS',
      `getting credentials for ${serverUrl}: invalid helper name ${JSON.stringify(name)}`,
    );
  }
  const program = `docker-credential-${name}`;
  const env = Object.fromEntries(
    Object.entries(options.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const { code, stdout, spawnError } = await new Promise<{
    code: number | null;
    stdout: string;
    spawnError?: Error;
  }>((resolve) => {
    const child = spawn(program, ['get'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.resume();
    child.on('error', (error) => resolve({ code: null, stdout: '', spawnError: error }));
    child.on('close', (exitCode) => resolve({ code: exitCode, stdout: Buffer.concat(out).toString('utf8') }));
    child.stdin.on('error', () => {});
    child.stdin.end(serverUrl);
  });
  if (spawnError !== undefined) {
    throw new RegistryError(
      'CREDENTIALS',
      `getting credentials for ${serverUrl}: running ${program}: ${spawnError.message}`,
      {
        cause: spawnError,
      },
    );
  }
  if (code !== 0) {
    if (/credentials not found/i.test(stdout)) return undefined;
    throw new RegistryError(
      'CREDENTIALS',
      `getting credentials for ${serverUrl}: ${program} get exited with status ${code}`,
    );
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new RegistryError(
      'CREDENTIALS',
      `getting credentials for ${serverUrl}: ${program} get printed invalid JSON`,
    );
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  if (secret === '') return undefined;
  if (username === '<token>') return Credentials.identityToken(secret);
  return Credentials.basic(username, secret);
}
