/** Per-registry connection settings, resolved from `RegistryClientOptions`. */
export interface HostOptions {
  /** Talk plain HTTP (only when the caller listed the registry as insecure). */
  readonly insecure: boolean;
  /** Accept any TLS certificate. */
  readonly skipTlsVerify: boolean;
  /** Extra PEM CA files trusted for this registry (added to the system roots). */
  readonly caFiles: readonly string[];
  /** PEM client certificate and key for mutual TLS (kaniko's `--registry-client-cert`). */
  readonly clientCertificate?: ClientCertificate;
}

/** Files of a TLS client certificate. */
export interface ClientCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

/** True when `host` is in `list`; `*` matches every registry. */
export function hostListed(list: readonly string[] | undefined, host: string): boolean {
  if (list === undefined) return false;
  const lower = host.toLowerCase();
  return list.some((entry) => entry === '*' || entry.toLowerCase() === lower);
}
