import { runChecked } from '../harness/index.js';

/**
 * `openssl req` with a new P-256 key (unencrypted, to `keyFile`): writes a CSR to `out`, or with
 * `selfSignedDays` a self-signed certificate valid that many days.
 */
export async function p256Request(options: {
  keyFile: string;
  out: string;
  subject: string;
  selfSignedDays?: number;
}): Promise<void> {
  const days = options.selfSignedDays;
  await runChecked('openssl', [
    'req',
    ...(days !== undefined ? ['-x509'] : []),
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    options.keyFile,
    '-out',
    options.out,
    ...(days !== undefined ? ['-days', String(days)] : []),
    '-subj',
    options.subject,
  ]);
}
