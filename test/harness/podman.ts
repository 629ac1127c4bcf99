import { ensureContainersSetup } from './containers-config.js';
import type { RegistryInfo } from './registry.js';
import { containersToolFlags } from './registry.js';
import { type CommandResult, runCommand } from './run-command.js';

export interface ContainerToolOptions {
  /** The registry the image comes from (adds its TLS/credential flags); omit for local or plain-HTTP refs. */
  registry?: RegistryInfo;
  /** Extra environment for the tool itself (not the container). */
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

export interface PodmanRunOptions extends ContainerToolOptions {
  /** `--network` (default `host`, which needs no network plugins). */
  network?: string;
  /** `--entrypoint`: a string, or a JSON array as podman accepts it. */
  entrypoint?: string;
  user?: string;
  workdir?: string;
  /** `--env K=V` inside the container. */
  containerEnv?: Record<string, string>;
  /** `--pull` policy (default `missing`). */
  pull?: 'always' | 'missing' | 'never' | 'newer';
  /** Further `podman run` flags, placed before the image. */
  extraArgs?: string[];
}

/**
 * `podman run --rm` of `image` with the harness's containers.conf (runc, cgroupfs, ulimits) and storage.
 * Plain-HTTP refs get `--tls-verify=false`; pass `registry` for the TLS and auth registries.
 */
export async function podmanRun(image: string, args: readonly string[] = [], opts: PodmanRunOptions = {}) {
  let pull = opts.pull ?? 'missing';
  if (opts.registry && opts.registry.variant !== 'plain') {
    // `podman run` has no --cert-dir/--creds: pull with them first, then run what was pulled.
    if (pull !== 'never') {
      const pulled = await podman(
        ['pull', '--quiet', ...containersToolFlags(opts.registry, 'any'), image],
        opts,
      );
      if (pulled.exitCode !== 0) return pulled;
    }
    pull = 'never';
  }
  const flags = [
    'run',
    '--rm',
    `--network=${opts.network ?? 'host'}`,
    `--pull=${pull}`,
    '--tls-verify=false',
  ];
  if (opts.entrypoint !== undefined) flags.push(`--entrypoint=${opts.entrypoint}`);
  if (opts.user !== undefined) flags.push(`--user=${opts.user}`);
  if (opts.workdir !== undefined) flags.push(`--workdir=${opts.workdir}`);
  if (opts.input !== undefined) flags.push('--interactive');
  for (const [k, v] of Object.entries(opts.containerEnv ?? {})) flags.push('--env', `${k}=${v}`);
  flags.push(...(opts.extraArgs ?? []), image, ...args);
  return podman(flags, opts);
}

/** Any podman command with the harness's containers configuration. */
export async function podman(
  args: readonly string[],
  opts: ContainerToolOptions = {},
): Promise<CommandResult> {
  return containersTool('podman', args, opts);
}

/** skopeo with the harness's containers configuration (add `--tls-verify=false` etc. yourself). */
export async function skopeo(
  args: readonly string[],
  opts: ContainerToolOptions = {},
): Promise<CommandResult> {
  return containersTool('skopeo', args, opts);
}

/** buildah with the same containers.conf and storage as `podmanRun`, so podman can run what it builds. */
export async function buildah(
  args: readonly string[],
  opts: ContainerToolOptions = {},
): Promise<CommandResult> {
  return containersTool('buildah', args, opts);
}

async function containersTool(tool: string, args: readonly string[], opts: ContainerToolOptions) {
  const setup = await ensureContainersSetup();
  return runCommand(tool, args, {
    env: { ...process.env, ...setup.env, ...opts.env },
    cwd: opts.cwd,
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 300_000,
  });
}
