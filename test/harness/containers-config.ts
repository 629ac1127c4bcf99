import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCacheDir } from './base-images.js';

/** Files that make podman, buildah and skopeo work on this kind of machine, and their environment. */
export interface ContainersSetup {
  /** containers.conf: runc (crun fails on hybrid cgroups), cgroupfs, ulimits under the VM's 20000 nofile. */
  containersConf: string;
  /** storage.conf: overlay storage of the tests' own, shared by podman and buildah, apart from the host's. */
  storageConf: string;
  storageRoot: string;
  /** `CONTAINERS_CONF` and `CONTAINERS_STORAGE_CONF` for a child process. */
  env: Record<string, string>;
}

const CONTAINERS_CONF = `# written by the kaniko-ts test harness
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

/**
 * Writes (when missing or changed) containers.conf and storage.conf under the test cache directory and
 * returns the environment that points podman/buildah/skopeo at them. Cheap enough to call per test.
 */
export async function ensureContainersSetup(cacheDir = testCacheDir()): Promise<ContainersSetup> {
  const dir = join(cacheDir, 'containers');
  const storageRoot = join(dir, 'storage');
  // runroot holds mount state that must not survive a reboot: /run when root, else the temp dir.
  const runRoot =
    process.getuid?.() === 0
      ? '/run/kaniko-ts-test/containers'
      : join(tmpdir(), `kaniko-ts-test-run-${process.getuid?.()}`);
  const containersConf = join(dir, 'containers.conf');
  const storageConf = join(dir, 'storage.conf');
  const storage = `# written by the kaniko-ts test harness
[storage]
driver = "overlay"
graphroot = "${storageRoot}"
runroot = "${runRoot}"
`;
  await mkdir(storageRoot, { recursive: true });
  await mkdir(runRoot, { recursive: true });
  await writeIfChanged(containersConf, CONTAINERS_CONF);
  await writeIfChanged(storageConf, storage);
  return {
    containersConf,
    storageConf,
    storageRoot,
    env: { CONTAINERS_CONF: containersConf, CONTAINERS_STORAGE_CONF: storageConf },
  };
}

async function writeIfChanged(file: string, content: string) {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
