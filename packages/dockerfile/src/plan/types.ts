import type { FromInstruction, Instruction, RunInstruction } from '../instructions/types.js';
import type { LintWarning } from '../lint/types.js';
import type { Directive } from '../parser/node.js';

/** What a stage starts from, after FROM was expanded with the meta ARGs. */
export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'image'; ref: string }
  | { kind: 'stage'; index: number; name?: string };

/** The parts of a base image's config the planner uses, handed in once the builder pulled it. */
export interface BaseImageConfig {
  /** `KEY=value` strings as in the OCI config. */
  env?: string[];
  /** ONBUILD triggers of the base image (`config.OnBuild`). */
  onBuild?: string[];
  user?: string;
  workingDir?: string;
  shell?: string[];
}

interface Planned {
  /** Where the instruction came from: the Dockerfile, or an ONBUILD trigger of the base image. */
  origin: 'dockerfile' | 'onbuild';
  /**
   * Working directory in effect (for WORKDIR: the new one). Relative COPY/ADD destinations and RUN
   * resolve against it.
   */
  workdir: string;
}

/** RUN as planned, with the environment its process gets. */
export type PlannedRun = RunInstruction &
  Planned & {
    /**
     * Process environment, in order: the stage state (base image ENV, ENV and ARG values in scope; a
     * later ENV or ARG of the same name replaces the value), then proxy build args (`HTTP_PROXY`, …)
     * passed without being declared, then `SSH_AUTH_SOCK` (first ssh mount) when not set.
     */
    environment: Array<[string, string]>;
  };

/**
 * A planned instruction: the typed instruction with every field BuildKit expands at plan time already
 * expanded (ARG, ENV, LABEL, WORKDIR, USER, EXPOSE, VOLUME, COPY/ADD paths and flags, STOPSIGNAL,
 * RUN mount options). RUN/CMD/ENTRYPOINT command text is never expanded: the shell does that.
 * MAINTAINER stays MAINTAINER (the builder sets the image author, as BuildKit does).
 */
export type PlannedInstruction = (Exclude<Instruction, RunInstruction> & Planned) | PlannedRun;

/** One `COPY --from` / `RUN --mount from=` / `FROM` edge. */
export interface StageDependency {
  kind: 'from' | 'copy-from' | 'mount-from';
  /** Index of the stage depended on, or `undefined` when it names an image. */
  stage?: number;
  /** Image reference when the value is not a stage name or index. */
  image?: string;
  line: number;
}

export interface PlannedStage {
  index: number;
  /** Lower-cased `AS` name. */
  name?: string;
  base: StageBase;
  /** FROM's image text after expansion (also for stage references). */
  baseText: string;
  /** The FROM instruction, image and `--platform` expanded. */
  from: FromInstruction;
  /** Expanded `--platform` of FROM, if any. */
  platform?: string;
  /** Whether the base image's config was supplied (ENV/ONBUILD of the base are applied only then). */
  baseConfigKnown: boolean;
  /**
   * ONBUILD triggers of the base (image config or parent stage), already parsed into the first
   * `instructions` with `origin: 'onbuild'` and the FROM line as their location, as BuildKit does.
   */
  baseOnbuild: string[];
  instructions: PlannedInstruction[];
  dependencies: StageDependency[];
  /** Image config USER at the end of the stage (base image's, a parent stage's, or the last USER); '' = root. */
  user: string;
  /** Working directory at the end of the stage. */
  workdir: string;
  /** Environment (ENV only, image config) at the end of the stage, in order. */
  env: Array<[string, string]>;
  /** Whether this stage is needed for the target. */
  reachable: boolean;
}

export interface MetaArg {
  key: string;
  /** Value after build args and expansion; `undefined` when declared without value. */
  value?: string;
  line: number;
}

export interface BuildPlan {
  /** Stage indexes in a valid build order (dependencies first), reachable stages only. */
  order: number[];
  stages: PlannedStage[];
  /** Index of the stage built as the image (`--target`, or the last one). */
  target: number;
  metaArgs: MetaArg[];
  directives: Directive[];
  escapeToken: '\\' | '`';
  /** Parser warnings, lint findings, unused build args. */
  warnings: LintWarning[];
  /** The automatic platform ARGs as they were defined for this build. */
  platformArgs: Record<string, string>;
}

export interface PlanOptions {
  /** Name shown in locations (default `Dockerfile`). */
  file?: string;
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  /** `--target`: stage name or index. Default: last stage. */
  target?: string;
  /** Target platform, `os/arch[/variant]` (default `linux/amd64`). */
  targetPlatform?: string;
  /** Platform of the builder (default: same as targetPlatform). */
  buildPlatform?: string;
  /**
   * Configs of base images, by the expanded FROM reference. Unknown bases are planned without them
   * (no base ENV in expansions, no ONBUILD triggers, UndefinedVar silent for that stage).
   */
  baseImages?: Record<string, BaseImageConfig>;
  /** Lint options; lint runs unless `lint: false`. */
  lint?: false | { skip?: string[]; error?: boolean };
}
