import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CopyInstruction,
  type PlannedInstruction,
  type PlannedRun,
  runArgv,
} from '@kaniko-ts/dockerfile';
import type { Layer } from '@kaniko-ts/oci';
import { BuilderError } from '../builder-error.js';
import type { CachedLayer } from '../cache/layer-cache.js';
import { replayCachedStep } from '../cache/replay-cached-step.js';
import { runCopy } from '../dispatch/copy.js';
import { ChangeSet, ensureDirectory } from '../dispatch/copy-tree.js';
import { applyMetadata } from '../dispatch/metadata.js';
import { type Owner, UserDatabase } from '../dispatch/user-database.js';
import { runEnvironment } from './run-command.js';
import type { StageServices } from './stage-services.js';
import type { StageState } from './stage-state.js';

/** Executes one stage's instructions against its `StageState`, one dispatcher per family. */
export class StageBuilder {
  constructor(
    readonly state: StageState,
    private readonly services: StageServices,
  ) {}

  async run(ins: PlannedInstruction): Promise<{ layer?: Layer }> {
    try {
      switch (ins.kind) {
        case 'RUN':
          return { layer: await this.runCommand(ins as PlannedRun) };
        case 'COPY':
        case 'ADD':
          return { layer: await this.copy(ins) };
        case 'FROM':
          return {};
        default:
          return { layer: await this.metadata(ins) };
      }
    } catch (cause) {
      if (cause instanceof BuilderError && /^\S+:\d+:\d+: /.test(cause.message)) throw cause;
      const code = cause instanceof BuilderError ? cause.code : 'INSTRUCTION_FAILED';
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new BuilderError(code, `${this.services.location(ins)}: ${ins.original}: ${detail}`, { cause });
    }
  }

  /** Uses a cached result instead of running the instruction. */
  async replay(ins: PlannedInstruction, hit: CachedLayer): Promise<Layer | undefined> {
    if (ins.kind === 'WORKDIR') this.state.config = applyMetadata(this.state.config, ins, this.state)!.config;
    await replayCachedStep(this.state, hit, {
      extractTar: this.services.extractTar,
      created: this.services.created(),
    });
    return hit.layer;
  }

  private async metadata(ins: PlannedInstruction): Promise<Layer | undefined> {
    const result = applyMetadata(this.state.config, ins, this.state);
    if (!result) throw new BuilderError('UNSUPPORTED', `unsupported instruction ${ins.kind}`);
    this.state.config = result.config;
    let layer: Layer | undefined;
    if (result.needsDirectory) layer = await this.workdir(result.needsDirectory);
    this.addHistory(result.createdBy, layer);
    return layer;
  }

  /** WORKDIR creates its directory, owned by the current USER, as BuildKit does. */
  private async workdir(dir: string): Promise<Layer | undefined> {
    const root = await this.services.rootfs(this.state);
    const changes = new ChangeSet();
    const owner = this.state.config.config?.User
      ? await this.owner(this.state.config.config.User, false)
      : undefined;
    const before = await this.services.exists(root, dir);
    if (before) return undefined;
    await ensureDirectory(root, dir, owner, changes);
    return this.services.pathsLayer(root, changes.sorted());
  }

  private async runCommand(run: PlannedRun): Promise<Layer | undefined> {
    const root = await this.services.rootfs(this.state);
    const c = this.state.config.config ?? {};
    const user = await this.owner(c.User || 'root', true);
    const planned = runArgv(run.command, c.Shell?.length ? c.Shell : undefined);
    // BuildKit mounts #! heredoc scripts under /dev/pipes; the executor gives RUN a fresh /dev, so
    // they are mounted at a path of their own (created and removed around the RUN, never in a layer).
    const moved = (path: string) => path.replace(/^\/dev\/pipes\//, '/.kaniko-ts-heredoc/');
    const files = planned.files.map((f) => ({ ...f, path: moved(f.path) }));
    const argv = planned.argv.map((a) => (planned.files.some((f) => f.path === a) ? moved(a) : a));
    const env = runEnvironment(run, user.home ?? (user.uid === 0 ? '/root' : '/'));
    const cwd = c.WorkingDir || '/';
    const layer = await this.services.runInSnapshot(this.state, root, {
      argv,
      env,
      cwd,
      user,
      mounts: run.mounts,
      files,
      network: run.network,
    });
    this.addHistory(`RUN ${argv.join(' ')} # buildkit`, layer);
    return layer;
  }

  private async copy(ins: CopyInstruction): Promise<Layer | undefined> {
    const root = await this.services.rootfs(this.state);
    const source = await this.services.copySource(ins.from);
    const owner = ins.chown ? await this.owner(ins.chown, false) : undefined;
    // the planner already stripped `<<-` tabs and expanded unquoted bodies
    const heredocBodies = new Map(ins.heredocs.map((h) => [h.name, h.content]));
    const paths = await runCopy({
      instruction: ins,
      source,
      destRoot: root,
      workdir: this.state.config.config?.WorkingDir || '/',
      owner: owner ? { uid: owner.uid, gid: owner.gid } : undefined,
      heredocBodies,
      tempDir: this.services.tempDir,
      extractTar: this.services.extractTar,
      fetch: this.services.fetch,
    });
    const layer = await this.services.pathsLayer(root, paths);
    this.addHistory(`${ins.kind} ${ins.sources.join(' ')} ${ins.dest} # buildkit`, layer);
    return layer;
  }

  private async owner(spec: string, forRun: boolean): Promise<Owner> {
    const root = await this.services.rootfs(this.state);
    const read = (p: string) => readFile(join(root, p), 'utf8').catch(() => undefined);
    const db = new UserDatabase(await read('etc/passwd'), await read('etc/group'));
    try {
      return db.resolve(spec, forRun);
    } catch (cause) {
      throw new BuilderError('USER_NOT_FOUND', (cause as Error).message, { cause });
    }
  }

  private addHistory(createdBy: string, layer: Layer | undefined): void {
    this.state.history.push({
      created: this.services.created(),
      created_by: createdBy,
      comment: 'kaniko-ts',
      ...(layer ? {} : { empty_layer: true }),
    });
    if (layer) this.state.layers.push(layer);
  }
}
