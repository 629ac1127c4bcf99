import { chmod, chown, cp, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mount } from '@kaniko-ts/dockerfile';
import { BuilderError } from '../builder-error.js';
import type { CopySource } from '../dispatch/copy.js';
import type { RunMount } from '../executor/executor.js';
import { RootResolver } from '../rootfs/root-resolver.js';
import type { SecretSource } from './build-request.js';

export interface MountServices {
  /** Where `type=cache` directories persist (`--cache-dir`), or the build's scratch directory. */
  cacheRoot: string;
  /** Scratch directory for secret files and writable bind copies; removed with the build. */
  scratch: string;
  secrets: Record<string, SecretSource>;
  source(from: string | undefined): Promise<CopySource>;
}

export interface ResolvedMounts {
  mounts: RunMount[];
  /** `type=secret,env=NAME` values, added to the RUN environment only. */
  env: string[];
}

/**
 * Turns a RUN's `--mount` flags into host mounts for the executor. Nothing here touches the stage's
 * root file system: mounts exist only inside the RUN's namespace, so secrets never reach a layer, and
 * their values never reach history, logs or cache keys (only their ids do).
 */
export async function resolveRunMounts(
  mounts: readonly Mount[],
  svc: MountServices,
): Promise<ResolvedMounts> {
  const out: ResolvedMounts = { mounts: [], env: [] };
  for (const m of mounts) {
    switch (m.type) {
      case 'tmpfs':
        out.mounts.push({ type: 'tmpfs', target: m.target, ...(m.size ? { size: m.size } : {}) });
        break;
      case 'cache': {
        const id = (m.id ?? m.target).replace(/[^A-Za-z0-9._-]/g, '_');
        const dir = join(svc.cacheRoot, 'cache-mounts', id);
        const fresh = !(await stat(dir).catch(() => undefined));
        await mkdir(dir, { recursive: true });
        if (fresh) {
          await chown(dir, m.uid ?? 0, m.gid ?? 0);
          await chmod(dir, m.mode ?? 0o755);
        }
        out.mounts.push({ type: 'cache', source: dir, target: m.target, readonly: m.readonly });
        break;
      }
      case 'bind': {
        const src = await svc.source(m.from);
        const resolved = await new RootResolver(src.root).resolve(m.source ?? '/', { followFinal: true });
        if (!(await stat(resolved.abs).catch(() => undefined))) {
          throw new BuilderError('CONTEXT_NOT_FOUND', `bind mount source ${m.source ?? '/'} not found`);
        }
        let source = resolved.abs;
        if (!m.readonly) {
          // rw binds are writable for the RUN, but what it writes is discarded, as in BuildKit.
          source = join(await mkdtemp(join(svc.scratch, 'bind-')), 'src');
          await cp(resolved.abs, source, { recursive: true, verbatimSymlinks: true });
        }
        out.mounts.push({ type: 'bind', source, target: m.target, readonly: m.readonly });
        break;
      }
      case 'secret': {
        const secret = svc.secrets[m.id];
        if (!secret) {
          if (m.required)
            throw new BuilderError('CONTEXT_NOT_FOUND', `secret ${m.id} is required but was not provided`);
          break;
        }
        const value = 'file' in secret ? await readFile(secret.file) : Buffer.from(secret.value);
        if (m.env) out.env.push(`${m.env}=${value.toString('utf8')}`);
        if (!m.target) break; // env-only secret
        const dir = await mkdtemp(join(svc.scratch, 'secret-'));
        const file = join(dir, 'value');
        await writeFile(file, value, { mode: 0o400 });
        await chown(file, m.uid, m.gid);
        await chmod(file, m.mode);
        out.mounts.push({ type: 'secret', source: file, target: m.target, readonly: true });
        break;
      }
      case 'ssh':
        if (m.required) throw new BuilderError('UNSUPPORTED', 'RUN --mount=type=ssh is not supported yet');
        break;
    }
  }
  return out;
}
