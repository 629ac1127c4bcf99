import type { BuildPlan, CopyInstruction, PlannedInstruction, PlannedStage } from '@kaniko-ts/dockerfile';
import { type CacheKey, describeKey, instructionKey, type LayerFormat, seedKey } from './cache-key.js';
import { digestSources } from './source-digest.js';

/** What `planCacheKeys` needs from the build: all of it is known before any instruction runs. */
export interface PlanKeysRequest {
  plan: BuildPlan;
  /** Target platform as `os/arch[/variant]` (the build's, or a stage's `--platform`). */
  platform: string;
  layerFormat: LayerFormat;
  /** Manifest digest of a stage's base image (`stage.base.kind === 'image'`). */
  baseDigest(stage: PlannedStage): Promise<string> | string;
  /** Manifest digest of an image named by `COPY --from=<image>` or `RUN --mount=from=<image>`. */
  imageDigest(ref: string): Promise<string> | string;
  /** The build context and its `.dockerignore` filter. */
  context: { root: string; visible(rel: string): boolean };
  /**
   * Turns `--exclude` patterns into a predicate (the one COPY uses). Without it, excluded files are
   * hashed too: more misses, never a stale hit.
   */
  excludeMatcher?: (patterns: readonly string[]) => (rel: string) => boolean;
}

/** The keys of one stage: its seed, one key per instruction, and the key later stages chain to. */
export interface StageKeys {
  index: number;
  seed: CacheKey | undefined;
  /** Per instruction of `stage.instructions`; `undefined` when it (or something before it) can't be keyed. */
  instructions: Array<CacheKey | undefined>;
  /** The last key (seed when the stage has no instructions); what `FROM <stage>` and `--from` chain to. */
  final: string | undefined;
}

/** Every key of a build, computed up front so one parallel lookup answers them all. */
export interface CacheKeyPlan {
  stages: ReadonlyMap<number, StageKeys>;
  /** Every defined instruction key, in build order (the argument of `LayerCache.get`). */
  keys(): string[];
  /** The key of instruction `i` of stage `stage`, or undefined (not cacheable). */
  key(stage: number, i: number): string | undefined;
  /** `describeKey` of that key, for `--verbosity=debug`. */
  describe(stage: number, i: number): string;
}

/**
 * Computes the hash chain of every instruction of the stages the plan builds (`plan.order`):
 * seed ← base image digest, `scratch` or the parent stage's final key (+ platform, layer format);
 * then per instruction ← parent key, the expanded instruction, the ARG/ENV values in scope (RUN:
 * its whole environment except undeclared proxy args), the digest of every context file a COPY/ADD
 * or bind mount reads, the final key of a `--from` stage or the digest of a `--from` image.
 * `ADD <url>` without `--checksum` cannot be keyed before it downloads: it and everything after it
 * in the stage (and in stages built on it) get no key, so they always run.
 */
export async function planCacheKeys(req: PlanKeysRequest): Promise<CacheKeyPlan> {
  const stages = new Map<number, StageKeys>();
  const contextDigests = new Map<string, Promise<string>>();
  const contextDigest = (patterns: readonly string[], exclude: readonly string[]) => {
    const id = JSON.stringify([patterns, exclude]);
    let d = contextDigests.get(id);
    if (!d) {
      const excluded = exclude.length > 0 ? req.excludeMatcher?.(exclude) : undefined;
      // bound: the context's `visible` is a method (DirectoryContext)
      const visible = (rel: string) => req.context.visible(rel);
      d = digestSources({ root: req.context.root, patterns, visible, excluded }).then((r) => r.digest);
      contextDigests.set(id, d);
    }
    return d;
  };

  /** `--from` value → stage final key or image digest, resolved as the build resolves it. */
  const fromKey = async (from: string): Promise<string | undefined> => {
    const byName = req.plan.stages.find((s) => s.name === from.toLowerCase());
    const index = byName ? byName.index : /^\d+$/.test(from) ? Number(from) : undefined;
    if (index !== undefined) {
      const keys = stages.get(index);
      return keys?.final === undefined ? undefined : `stage ${keys.final}`;
    }
    return `image ${await req.imageDigest(from)}`;
  };

  for (const index of req.plan.order) {
    const stage = req.plan.stages[index] as PlannedStage;
    const platform = stage.platform ?? req.platform;
    let seed: CacheKey | undefined;
    if (stage.base.kind === 'stage') {
      const parent = stages.get(stage.base.index)?.final;
      seed =
        parent === undefined ? undefined : seedKey({ kind: 'stage', key: parent }, platform, req.layerFormat);
    } else if (stage.base.kind === 'image') {
      seed = seedKey({ kind: 'image', digest: await req.baseDigest(stage) }, platform, req.layerFormat);
    } else {
      seed = seedKey({ kind: 'scratch' }, platform, req.layerFormat);
    }
    const scope = new Map<string, string | undefined>();
    const keys: Array<CacheKey | undefined> = [];
    let parent = seed?.key;
    // what each instruction reads does not depend on the chain: hash it all at once
    const allInputs =
      parent === undefined
        ? []
        : await Promise.all(stage.instructions.map((ins) => instructionInputs(ins, contextDigest, fromKey)));
    for (const [i, ins] of stage.instructions.entries()) {
      trackScope(scope, ins);
      const inputs = parent === undefined ? undefined : allInputs[i];
      const key =
        parent === undefined || inputs === undefined
          ? undefined
          : instructionKey({
              parent,
              instruction: ins,
              platform,
              scope: [...scope].map(([k, v]) => (v === undefined ? k : `${k}=${v}`)),
              inputs,
            });
      keys.push(key);
      parent = key?.key;
    }
    stages.set(index, { index, seed, instructions: keys, final: parent });
  }

  return {
    stages,
    keys: () =>
      req.plan.order.flatMap((i) =>
        (stages.get(i)?.instructions ?? []).flatMap((k) => (k === undefined ? [] : [k.key])),
      ),
    key: (stage, i) => stages.get(stage)?.instructions[i]?.key,
    describe: (stage, i) => {
      const k = stages.get(stage)?.instructions[i];
      return k ? describeKey(k) : 'no cache key (not cacheable, or follows an instruction that is not)';
    },
  };
}

/** ARG and ENV values an instruction sees: those declared in the stage before it (and by it). */
function trackScope(scope: Map<string, string | undefined>, ins: PlannedInstruction): void {
  if (ins.kind === 'ARG') for (const a of ins.args) scope.set(a.key, a.value);
  if (ins.kind === 'ENV') for (const e of ins.env) scope.set(e.key, e.value);
}

type Inputs = Array<readonly [string, string]>;

async function instructionInputs(
  ins: PlannedInstruction,
  contextDigest: (patterns: readonly string[], exclude: readonly string[]) => Promise<string>,
  fromKey: (from: string) => Promise<string | undefined>,
): Promise<Inputs | undefined> {
  if (ins.kind === 'COPY' || ins.kind === 'ADD') return copyInputs(ins, contextDigest, fromKey);
  if (ins.kind !== 'RUN') return [];
  const inputs: Inputs = [];
  for (const m of ins.mounts) {
    // cache mounts are keyed by id (in the instruction), never by what they hold; secrets and ssh
    // by id only. Bind mounts read their source, and a stage/image `from` seeds bind and cache.
    if (m.type !== 'bind' && m.type !== 'cache') continue;
    if (m.from !== undefined) {
      const k = await fromKey(m.from);
      if (k === undefined) return undefined;
      inputs.push([`mount ${m.target} from`, k]);
    } else if (m.type === 'bind') {
      inputs.push([`mount ${m.target}`, await contextDigest([m.source ?? '.'], [])]);
    }
  }
  return inputs;
}

async function copyInputs(
  ins: CopyInstruction,
  contextDigest: (patterns: readonly string[], exclude: readonly string[]) => Promise<string>,
  fromKey: (from: string) => Promise<string | undefined>,
): Promise<Inputs | undefined> {
  if (ins.from !== undefined) {
    const k = await fromKey(ins.from);
    return k === undefined ? undefined : [['from', k]];
  }
  const heredocs = new Set(ins.heredocs.map((h) => h.name));
  const local: string[] = [];
  for (const src of ins.sources) {
    const name = src.replace(/^<<-?/, '').replace(/^["']|["']$/g, '');
    if (src.startsWith('<<') && heredocs.has(name)) continue; // the body is part of the instruction
    if (ins.kind === 'ADD' && /^[a-z][a-z0-9+.-]*:\/\//i.test(src)) {
      if (ins.checksum === undefined) return undefined; // content unknown until downloaded
      continue; // --checksum pins the content and is part of the instruction
    }
    local.push(src);
  }
  return local.length === 0 ? [] : [['context', await contextDigest(local, ins.exclude)]];
}
