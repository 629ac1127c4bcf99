import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ContainerCheckOptions {
  /** The environment the caller passes (never read from the process here). */
  env: Readonly<Record<string, string | undefined>>;
  /** Where the markers are looked for; default `/` (tests point it elsewhere). */
  root?: string;
}

/** cgroup path fragments container runtimes leave in `/proc/1/cgroup`. */
const CGROUP_MARKERS = ['docker', 'kubepods', 'containerd', 'libpod', 'lxc', 'crio', 'podman', 'garden'];

/**
 * Why this process looks like it runs in a container, or undefined when nothing says so. The signs,
 * in order: `/.dockerenv` (Docker), `/run/.containerenv` (Podman), the `container` variable (systemd
 * and Podman convention), `KUBERNETES_SERVICE_HOST` (every Kubernetes pod), container runtime
 * paths in `/proc/1/cgroup`.
 */
export async function containerEvidence(opts: ContainerCheckOptions): Promise<string | undefined> {
  const root = opts.root ?? '/';
  const exists = (p: string) =>
    access(join(root, p)).then(
      () => true,
      () => false,
    );
  if (await exists('.dockerenv')) return '/.dockerenv exists';
  if (await exists('run/.containerenv')) return '/run/.containerenv exists';
  if (opts.env.container) return `container=${opts.env.container} is set`;
  if (opts.env.KUBERNETES_SERVICE_HOST) return 'KUBERNETES_SERVICE_HOST is set (a Kubernetes pod)';
  const cgroup = await readFile(join(root, 'proc/1/cgroup'), 'utf8').catch(() => '');
  for (const line of cgroup.split('\n')) {
    const path = line.split(':').slice(2).join(':');
    const marker = CGROUP_MARKERS.find((m) => path.includes(m));
    if (marker) return `/proc/1/cgroup names ${marker} (${path})`;
  }
  return undefined;
}
