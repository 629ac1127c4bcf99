import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup, runChecked } from './run-command.js';
import { createTestCertificates } from './test-ca.js';

export type RegistryVariant = 'plain' | 'tls' | 'auth';

/** Serializable facts about a running test registry (safe to pass through vitest's `provide`). */
export interface RegistryInfo {
  variant: RegistryVariant;
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT` for the tls variant. */
  url: string;
  /** The registry's storage directory (filesystem driver). */
  storageDir: string;
  /** tls only: the CA that signed the server certificate (PEM file, its content, a dir with `ca.crt`). */
  caFile?: string;
  caPem?: string;
  caCertDir?: string;
  /** auth only: the htpasswd (bcrypt) user. */
  username?: string;
  password?: string;
}

export interface RunningRegistry extends RegistryInfo {
  pid: number;
  /** The registry's own log (stdout and stderr). */
  logFile: string;
  /** Kills the registry's process group and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  variant?: RegistryVariant;
  /** How long to wait for `/v2/` to answer (default 15 s). */
  readyTimeoutMs?: number;
  /**
   * A registry storage tree to start from (see `ensureRegistrySeed`). Blob data files are hard-linked
   * (the registry never rewrites a blob in place), every other file is copied, so the seed stays intact.
   */
  seedStorageDir?: string;
  /** Use this (existing) directory as storage and keep it after `stop()`; default: a temporary one. */
  storageDir?: string;
}

/**
 * Starts `docker-registry serve` (distribution 2.8) on a free 127.0.0.1 port with temporary
 * filesystem storage and deletes enabled. `tls` serves HTTPS with a CA generated here; `auth` requires
 * htpasswd basic auth with a generated user. Returns once `GET /v2/` answers.
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const variant = opts.variant ?? 'plain';
  let lastError: unknown;
  // A port found free can be taken before the registry binds it: retry with a new one.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(variant, await freePort(), opts);
    } catch (e) {
      lastError = e;
      if (!String(e).includes('address already in use')) break;
    }
  }
  throw lastError;
}

async function startOnce(variant: RegistryVariant, port: number, opts: StartRegistryOptions) {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 15_000;
  const dir = mkdtempSync(join(tmpdir(), `kaniko-ts-registry-${variant}-`));
  const storageDir = opts.storageDir ?? join(dir, 'storage');
  if (opts.seedStorageDir) await copySeed(opts.seedStorageDir, storageDir);
  else mkdirSync(storageDir, { recursive: true });
  const host = `127.0.0.1:${port}`;
  const info: RegistryInfo = {
    variant,
    host,
    url: `${variant === 'tls' ? 'https' : 'http'}://${host}`,
    storageDir,
  };
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: host, secret: randomBytes(16).toString('hex') },
  };
  try {
    if (variant === 'tls') {
      const certs = await createTestCertificates(dir);
      Object.assign(info, { caFile: certs.caFile, caPem: certs.caPem, caCertDir: certs.caCertDir });
      (config.http as Record<string, unknown>).tls = { certificate: certs.certFile, key: certs.keyFile };
    }
    if (variant === 'auth') {
      const username = 'kaniko';
      const password = randomBytes(12).toString('hex');
      const htpasswd = await runChecked('htpasswd', ['-Bbn', username, password]);
      await writeFile(join(dir, 'htpasswd'), htpasswd.stdout.trim() + '\n');
      Object.assign(info, { username, password });
      config.auth = { htpasswd: { realm: 'kaniko-ts-test', path: join(dir, 'htpasswd') } };
    }
    // JSON is YAML: the registry reads it as its config.yml.
    const configFile = join(dir, 'config.yml');
    await writeFile(configFile, JSON.stringify(config, null, 2));
    const logFile = join(dir, 'registry.log');
    const logFd = openSync(logFile, 'a');
    const child = spawn('sh', ['-c', SUPERVISE, 'kaniko-ts-registry', configFile], {
      detached: true,
      stdio: ['pipe', logFd, logFd],
    });
    closeSync(logFd);
    // The pipe is the lifeline: it closes when this process ends in any way, even SIGKILL.
    child.stdin?.on('error', () => {});
    (child.stdin as Socket | null)?.unref();
    const pid = child.pid;
    if (pid === undefined)
      throw new Error('starting docker-registry: no pid (is docker-registry installed?)');
    child.unref();
    let exited: string | undefined;
    const exitPromise = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        exited = `exited with ${code ?? signal}`;
        resolve();
      });
      child.on('error', (e) => {
        exited = `failed: ${e.message}`;
        resolve();
      });
    });
    // If the test process dies without teardown, take the registry with it.
    const onExit = () => {
      killGroup(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', onExit);
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      if (exited === undefined) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 3_000);
        await exitPromise;
        clearTimeout(timer);
      }
      killGroup(pid, 'SIGKILL');
      child.stdin?.destroy();
      rmSync(dir, { recursive: true, force: true });
    };
    const running: RunningRegistry = { ...info, pid, logFile, stop };
    try {
      await waitReady(running, readyTimeoutMs, () => exited);
    } catch (e) {
      const log = readFileSync(logFile, 'utf8').trim().slice(-1500);
      await stop();
      throw new Error(`starting docker-registry (${variant}) on ${host}: ${String(e)}\n${log}`, { cause: e });
    }
    return running;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

// Runs the registry in its own process group (the group `stop()` kills) and kills it when stdin, a pipe
// from the test process, closes: a killed vitest never leaves a registry behind. Exits with the
// registry's status, so a registry that fails to start is noticed at once.
const SUPERVISE = `
exec 3<&0
docker-registry serve "$1" </dev/null &
r=$!
(cat <&3 >/dev/null 2>&1; kill $r 2>/dev/null) &
exec 3<&-
wait $r
`;

async function waitReady(reg: RegistryInfo, timeoutMs: number, exited: () => string | undefined) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const state = exited();
    if (state) throw new Error(`registry ${state}`);
    try {
      const r = await registryGet(reg, '/v2/', { auth: false });
      if (r.status === 200 || r.status === 401) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`/v2/ did not answer within ${timeoutMs} ms (${last})`);
}

export interface RegistryGetOptions {
  /** Send the variant's basic-auth credentials (default true when it has some). */
  auth?: boolean;
  /** Trust the variant's CA (default true); false uses only the system trust store. */
  trustCa?: boolean;
  headers?: Record<string, string>;
}

/** A plain `GET` against a test registry with node's own http(s) client. */
export function registryGet(reg: RegistryInfo, path: string, opts: RegistryGetOptions = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const headers: Record<string, string> = { ...opts.headers };
      if ((opts.auth ?? true) && reg.username !== undefined) {
        headers.authorization = `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}`;
      }
      const url = new URL(path, reg.url);
      const onResponse = (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      };
      const req =
        url.protocol === 'https:'
          ? https.get(
              url,
              { headers, ca: (opts.trustCa ?? true) ? reg.caPem : undefined, agent: false },
              onResponse,
            )
          : http.get(url, { headers, agent: false }, onResponse);
      req.setTimeout(5_000, () => req.destroy(new Error(`GET ${url.href} timed out`)));
      req.on('error', reject);
    },
  );
}

async function copySeed(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) await copySeed(src, dst);
    else if (entry.name === 'data' && src.includes('/blobs/'))
      await link(src, dst).catch(() => copyFile(src, dst));
    else await copyFile(src, dst);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** skopeo/podman flags that let them talk to this registry (TLS trust and credentials). */
export function containersToolFlags(reg: RegistryInfo, direction: 'src' | 'dest' | 'any'): string[] {
  const p = direction === 'any' ? '' : `${direction}-`;
  const flags: string[] = [];
  if (reg.variant === 'tls') flags.push(`--${p}cert-dir=${reg.caCertDir}`);
  else flags.push(`--${p}tls-verify=false`);
  if (reg.username !== undefined) flags.push(`--${p}creds=${reg.username}:${reg.password}`);
  return flags;
}
