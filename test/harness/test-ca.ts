import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked } from './run-command.js';

export interface TestCertificates {
  /** PEM file of the generated CA: what a client must trust. */
  caFile: string;
  /** A directory holding only `ca.crt` (for `skopeo --cert-dir`, containers `certs.d`). */
  caCertDir: string;
  caPem: string;
  /** Server certificate (SAN IP:127.0.0.1, DNS:localhost) and its key, signed by the CA. */
  certFile: string;
  keyFile: string;
}

/** Generates a throw-away CA and a server certificate for 127.0.0.1/localhost with openssl. */
export async function createTestCertificates(dir: string): Promise<TestCertificates> {
  const caKey = join(dir, 'ca.key');
  const caCertDir = join(dir, 'ca');
  const caFile = join(caCertDir, 'ca.crt');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.crt');
  const ext = join(dir, 'server.ext');
  await runChecked('mkdir', ['-p', caCertDir]);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await runChecked('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-days',
    '7',
    '-subj',
    '/CN=kaniko-ts test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await runChecked('openssl', ['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', '/CN=127.0.0.1']);
  await writeFile(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  await runChecked('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-set_serial',
    `0x${randomBytes(12).toString('hex')}`,
    '-out',
    certFile,
    '-days',
    '7',
    '-extfile',
    ext,
  ]);
  return { caFile, caCertDir, caPem: await readFile(caFile, 'utf8'), certFile, keyFile };
}
