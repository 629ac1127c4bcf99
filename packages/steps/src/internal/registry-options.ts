/** Registry connection options every library call takes, mapped from the shared registry inputs. */
export interface RegistryOptions {
  insecure: boolean;
  insecurePull: boolean;
  insecureRegistries: string[];
  skipTlsVerify: boolean;
  skipTlsVerifyPull: boolean;
  skipTlsVerifyRegistries: string[];
  /** host → CA file path. */
  registryCertificates: Record<string, string>;
  /** host → { cert, key } paths. */
  registryClientCerts: Record<string, { cert: string; key: string }>;
  registryMirrors: string[];
  /** original → replacements, in order. */
  registryMap: Record<string, string[]>;
  /** Explicit credentials for the target registry; otherwise the keychain (docker config, env) decides. */
  credentials?: { username: string; password: string };
  /** Environment for the keychain (DOCKER_CONFIG, CI_REGISTRY_*, …). */
  env: Readonly<Record<string, string | undefined>>;
}

interface RegistryInputValues {
  insecure: boolean;
  'insecure-pull': boolean;
  'insecure-registry': string[];
  'skip-tls-verify': boolean;
  'skip-tls-verify-pull': boolean;
  'skip-tls-verify-registry': string[];
  'registry-certificate': string[];
  'registry-client-cert': string[];
  'registry-mirror': string[];
  'registry-map': string[];
  'registry-username'?: string | undefined;
  'registry-password'?: string | undefined;
}

function keyValue(item: string): [string, string] {
  const i = item.indexOf('=');
  return i < 0 ? [item, ''] : [item.slice(0, i), item.slice(i + 1)];
}

/** Maps the shared registry inputs to the options the registry layer takes. */
export function toRegistryOptions(
  inputs: RegistryInputValues,
  env: Readonly<Record<string, string | undefined>>,
): RegistryOptions {
  const certs: Record<string, string> = {};
  for (const item of inputs['registry-certificate']) {
    const [host, path] = keyValue(item);
    certs[host] = path;
  }
  const clientCerts: Record<string, { cert: string; key: string }> = {};
  for (const item of inputs['registry-client-cert']) {
    const [host, pair] = keyValue(item);
    const [cert = '', key = ''] = pair.split(',');
    clientCerts[host] = { cert, key };
  }
  const map: Record<string, string[]> = {};
  for (const item of inputs['registry-map']) {
    for (const part of item.split(';')) {
      const [from, to] = keyValue(part.trim());
      if (from !== '') map[from] = [...(map[from] ?? []), to];
    }
  }
  const options: RegistryOptions = {
    insecure: inputs.insecure,
    insecurePull: inputs['insecure-pull'],
    insecureRegistries: inputs['insecure-registry'],
    skipTlsVerify: inputs['skip-tls-verify'],
    skipTlsVerifyPull: inputs['skip-tls-verify-pull'],
    skipTlsVerifyRegistries: inputs['skip-tls-verify-registry'],
    registryCertificates: certs,
    registryClientCerts: clientCerts,
    registryMirrors: inputs['registry-mirror'],
    registryMap: map,
    env,
  };
  const username = inputs['registry-username'];
  const password = inputs['registry-password'];
  if (username !== undefined && username !== '' && password !== undefined) {
    options.credentials = { username, password };
  }
  return options;
}
