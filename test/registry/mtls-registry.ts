import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup, runChecked } from '../harness/index.js';
import { createTestCertificates } from '../harness/test-ca.js';
import { p256Request } from './p256-request.js';

export interface MtlsRegistry {
  readonly host: string;
  readonly caFile: string;
  /** A client certificate signed by the registry's client CA. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  stop(): Promise<void>;
}

/**
 * `docker-registry serve` over TLS that requires a client certificate (`http.tls.clientcas`), which
 * the harness's three variants do not cover. The same generated CA signs server and client.
 */
export async function startMtlsRegistry(): Promise<MtlsRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'registry-mtls-'));
  const certs = await createTestCertificates(dir);
  const clientKeyFile = join(dir, 'client.key');
  const clientCertFile = join(dir, 'client.crt');
  const csr = join(dir, 'client.csr');
  const ext = join(dir, 'client.ext');
  await p256Request({ keyFile: clientKeyFile, out: csr, subject: '/CN=kaniko-ts client' });
  await writeFile(ext, 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  await runChecked('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    certs.caFile,
    '-CAkey',
    join(dir, 'ca.key'),
    '-set_serial',
    '0x1234',
    '-out',
    clientCertFile,
    '-days',
    '7',
    '-extfile',
    ext,
  ]);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const stop = await serveRegistry(dir, {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'storage') } },
    http: { addr: host, tls: { certificate: certs.certFile, key: certs.keyFile, clientcas: [certs.caFile] } },
  });
  return { host, caFile: certs.caFile, clientCertFile, clientKeyFile, stop };
}

/** A distribution `config.yml` (as JSON); only `http.addr` is read here. */
export interface RegistryConfig {
  readonly http: { readonly addr: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/**
 * Runs `docker-registry serve` with `config` (its `http.addr` decides the port) until `stop()`,
 * which also removes `dir`. Resolves once the port accepts connections.
 */
export async function serveRegistry(dir: string, config: RegistryConfig): Promise<() => Promise<void>> {
  const configFile = join(dir, 'config.yml');
  await writeFile(configFile, JSON.stringify(config));
  const child = spawn('docker-registry', ['serve', configFile], { detached: true, stdio: 'ignore' });
  child.unref();
  const stop = async () => {
    killGroup(child.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(Number(config.http.addr.split(':')[1]), 15_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = netConnect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`starting docker-registry on port ${port}: not listening`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
