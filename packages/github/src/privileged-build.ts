import { execFile, spawn } from 'node:child_process';
import { lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import {
  type BuildRequest,
  type BuildResult,
  callBuild,
  type StepContext,
  StepsError,
  type SummarySection,
} from '@kaniko-ts/steps';

type Env = Readonly<Record<string, string | undefined>>;

/** The argument that makes the build action's bundle serve one privileged build on stdin/stdout. */
export const PRIVILEGED_BUILD_FLAG = '--kaniko-ts-privileged-build';

/**
 * On GitHub-hosted runners the job runs as a non-root user with passwordless sudo. Of the build
 * step, only the build engine needs root: extracting base layers with their owners, the RUN
 * namespaces and chroot, overlay mounts, and reading the root-only files RUN leaves behind for the
 * snapshot. So that part — `callBuild`, the one library call — runs in a child started with
 * `sudo -n`; inputs, outputs, the job summary, the layer cache and signing stay in the runner
 * user's process. The child gets the request, environment and paths as JSON on stdin and answers
 * with JSON lines (log lines, masks, summaries, then the result or the error) on stdout; what it
 * wrote for the user (digest files, tarball, OCI layout, the step's temp dir, the local cache) is
 * given back to the user's uid and gid.
 */
export interface PrivilegedBuildOptions {
  /** Node binary and the script that serves `PRIVILEGED_BUILD_FLAG` (the action bundle). */
  node: string;
  entry: string;
  /** Owner of the files the build writes (the runner user). */
  uid: number;
  gid: number;
  /** sudo binary (default `sudo`, found on PATH). */
  sudo?: string;
}

/** True when `sudo -n` runs a command here without asking for a password. */
export function sudoWorks(env: Env, sudo = 'sudo'): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(sudo, ['-n', 'true'], { env: { PATH: env.PATH ?? '/usr/bin:/bin' }, timeout: 10_000 }, (error) =>
      resolve(!error),
    );
  });
}

type Message =
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> }
  | { t: 'progress'; task: string; current: number; total?: number }
  | { t: 'mask'; value: string }
  | { t: 'summary'; section: SummarySection }
  | { t: 'result'; result: BuildResult }
  | { t: 'error'; message: string };

interface Job {
  request: BuildRequest;
  env: Record<string, string | undefined>;
  workspace: string;
  tempDir: string;
  owner: { uid: number; gid: number };
}

/** `callBuild` run as root through `sudo -n`, for `runBuild(ctx, inputs, call)`. */
export function privilegedCallBuild(opts: PrivilegedBuildOptions) {
  return (request: BuildRequest, ctx: StepContext): Promise<BuildResult> =>
    new Promise((resolve, reject) => {
      ctx.log.info(
        `running the build engine as root through sudo -n (uid ${opts.uid} cannot create the image's root-owned files or RUN namespaces); inputs, outputs, cache and signing stay unprivileged`,
      );
      const child = spawn(opts.sudo ?? 'sudo', ['-n', '--', opts.node, opts.entry, PRIVILEGED_BUILD_FLAG], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: ctx.env.PATH ?? '/usr/bin:/bin' },
      });
      let result: BuildResult | undefined;
      let failure: string | undefined;
      let stderr = '';
      let buffered = '';
      const handle = (line: string) => {
        if (line.trim() === '') return;
        let m: Message;
        try {
          m = JSON.parse(line) as Message;
        } catch {
          ctx.log.info(line);
          return;
        }
        if (m.t === 'log') {
          if (m.level === 'debug') ctx.log.debug(m.msg, m.fields);
          else if (m.level === 'info') ctx.log.info(m.msg, m.fields);
          else if (m.level === 'warn')
            ctx.log.warn(m.msg, m.fields as { file: string; line?: number } | undefined);
          else ctx.log.error(m.msg, m.fields as { file: string; line?: number } | undefined);
        } else if (m.t === 'progress') ctx.log.progress(m.task, m.current, m.total);
        else if (m.t === 'mask') ctx.maskSecret(m.value);
        else if (m.t === 'summary') ctx.addSummary(m.section);
        else if (m.t === 'result') result = m.result;
        else if (m.t === 'error') failure = m.message;
      };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (buffered + chunk).split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) handle(line);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('error', (error) =>
        reject(new StepsError('STEP_FAILED', `starting the build through sudo: ${error.message}`)),
      );
      child.on('close', (code) => {
        handle(buffered);
        if (result !== undefined && code === 0) resolve(result);
        else
          reject(
            new StepsError(
              'STEP_FAILED',
              failure ?? `the build run through sudo exited with ${code}: ${stderr.trim().slice(-2000)}`,
            ),
          );
      });
      const job: Job = {
        request,
        env: { ...ctx.env },
        workspace: ctx.workspace,
        tempDir: ctx.tempDir,
        owner: { uid: opts.uid, gid: opts.gid },
      };
      child.stdin.end(JSON.stringify(job));
    });
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  await lchown(path, uid, gid);
  if (!st.isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}

/** The privileged side: reads one job from `input`, runs `callBuild`, answers on `output`. */
export async function servePrivilegedBuild(input: Readable, output: Writable): Promise<number> {
  const send = (m: Message) => output.write(`${JSON.stringify(m)}\n`);
  let text = '';
  for await (const chunk of input) text += chunk.toString();
  const job = JSON.parse(text) as Job;
  const fields = (f: unknown) => (f === undefined ? {} : { fields: f as Record<string, unknown> });
  const ctx: StepContext = {
    log: {
      debug: (msg, f) => send({ t: 'log', level: 'debug', msg, ...fields(f) }),
      info: (msg, f) => send({ t: 'log', level: 'info', msg, ...fields(f) }),
      warn: (msg, at) => send({ t: 'log', level: 'warn', msg, ...fields(at) }),
      error: (msg, at) => send({ t: 'log', level: 'error', msg, ...fields(at) }),
      progress: (task, current, total) =>
        send({ t: 'progress', task, current, ...(total !== undefined ? { total } : {}) }),
    },
    group: (_name, fn) => fn(),
    maskSecret: (value) => send({ t: 'mask', value }),
    workspace: job.workspace,
    tempDir: job.tempDir,
    identity: {
      getIdToken: async () => {
        throw new StepsError('OIDC_UNAVAILABLE', 'the privileged build does not sign');
      },
    },
    clock: { now: () => new Date() },
    env: job.env,
    addSummary: (section) => send({ t: 'summary', section }),
  };
  const r = job.request;
  try {
    const result = await callBuild(r, ctx);
    send({ t: 'result', result });
    return 0;
  } catch (error) {
    send({ t: 'error', message: (error as Error).message });
    return 1;
  } finally {
    const { uid, gid } = job.owner;
    const written = [
      r.digestFile,
      r.imageNameWithDigestFile,
      r.imageNameTagWithDigestFile,
      r.tarPath,
      r.ociLayoutPath,
      r.cache.enabled ? r.cache.dir : undefined,
      job.tempDir,
    ];
    for (const p of written) if (p !== undefined) await chownTree(p, uid, gid).catch(() => undefined);
  }
}
