import { SbomError } from './sbom-error.js';

/** A resource with digests, as SLSA's ResourceDescriptor. */
export interface ResourceDescriptor {
  readonly uri?: string;
  readonly name?: string;
  readonly digest: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** What the builder knows about one build, passed in by the caller (no environment is read here). */
export interface BuildDescription {
  /** The built image(s): name (repository) and manifest digest `sha256:…`. */
  readonly subjects: readonly { readonly name: string; readonly digest: string }[];
  /** The Dockerfile as given and its sha256 (no digest for a Dockerfile fetched by URL). */
  readonly dockerfile?: { readonly path: string; readonly digest?: string };
  /** The build context: a URI and/or a digest (at least one). */
  readonly context?: { readonly uri?: string; readonly digest?: string };
  /** Build args as given; secret-looking names and `secretNames` are left out. */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Names of values that must never be recorded (secrets passed as build args). */
  readonly secretNames?: readonly string[];
  readonly target?: string;
  readonly platform?: string;
  /** Base images resolved during the build. */
  readonly baseImages?: readonly { readonly name: string; readonly digest: string }[];
  /** `runDetails.builder.id`, e.g. the workflow or component that ran kaniko-ts. */
  readonly builderId: string;
  readonly builderVersion?: Readonly<Record<string, string>>;
  /** CI environment record (GitHub `GITHUB_*` / GitLab `CI_*` variables), read by the adapter. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly startedOn?: string | Date;
  readonly finishedOn?: string | Date;
}

export const PROVENANCE_PREDICATE_TYPE = 'https://slsa.dev/provenance/v1';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const BUILD_TYPE = 'https://kaniko-ts.dev/build/v1';

const SECRETISH =
  /(secret|token|passw(or)?d|passwd|passphrase|credential|private[_-]?key|api[_-]?key|access[_-]?key|(^|[_-])auth([_-]|$)|(^|[_-])key$)/i;

function digestRecord(digest: string, what: string): Record<string, string> {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest);
  if (!m)
    throw new SbomError(
      'INVALID_INPUT',
      `building provenance: ${what} digest ${digest} is not algorithm:hex`,
    );
  return { [m[1]!]: m[2]! };
}

interface CiRun {
  readonly system: 'github' | 'gitlab';
  readonly invocationId?: string;
  readonly parameters: Record<string, string>;
  readonly source?: ResourceDescriptor;
}

/** Reads the CI run from GitHub Actions or GitLab CI variables in `env`. */
export function ciRun(env: Readonly<Record<string, string | undefined>>): CiRun | undefined {
  const pick = (keys: readonly string[]) =>
    Object.fromEntries(keys.filter((k) => env[k]).map((k) => [k, env[k]!])) as Record<string, string>;
  if (env.GITHUB_ACTIONS === 'true' || env.GITHUB_RUN_ID) {
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    const repo = env.GITHUB_REPOSITORY;
    const parameters = pick([
      'GITHUB_EVENT_NAME',
      'GITHUB_REF',
      'GITHUB_REPOSITORY',
      'GITHUB_REPOSITORY_ID',
      'GITHUB_REPOSITORY_OWNER_ID',
      'GITHUB_RUN_ATTEMPT',
      'GITHUB_RUN_ID',
      'GITHUB_RUN_NUMBER',
      'GITHUB_SHA',
      'GITHUB_WORKFLOW_REF',
      'GITHUB_WORKFLOW_SHA',
      'RUNNER_ENVIRONMENT',
    ]);
    return {
      system: 'github',
      parameters,
      ...(repo && env.GITHUB_RUN_ID
        ? {
            invocationId: `${server}/${repo}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}`,
          }
        : {}),
      ...(repo && env.GITHUB_SHA
        ? {
            source: {
              uri: `git+${server}/${repo}@${env.GITHUB_REF ?? ''}`,
              digest: { gitCommit: env.GITHUB_SHA },
            },
          }
        : {}),
    };
  }
  if (env.GITLAB_CI === 'true' || env.CI_PIPELINE_ID) {
    const parameters = pick([
      'CI_COMMIT_REF_NAME',
      'CI_COMMIT_SHA',
      'CI_JOB_ID',
      'CI_JOB_NAME',
      'CI_PIPELINE_ID',
      'CI_PIPELINE_SOURCE',
      'CI_PROJECT_PATH',
      'CI_RUNNER_ID',
      'CI_SERVER_URL',
    ]);
    const url =
      env.CI_PROJECT_URL ??
      (env.CI_SERVER_URL && env.CI_PROJECT_PATH ? `${env.CI_SERVER_URL}/${env.CI_PROJECT_PATH}` : undefined);
    return {
      system: 'gitlab',
      parameters,
      ...(env.CI_JOB_URL ? { invocationId: env.CI_JOB_URL } : {}),
      ...(url && env.CI_COMMIT_SHA
        ? {
            source: {
              uri: `git+${url}@${env.CI_COMMIT_REF_NAME ?? ''}`,
              digest: { gitCommit: env.CI_COMMIT_SHA },
            },
          }
        : {}),
    };
  }
  return undefined;
}

function iso(value: string | Date): string {
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** in-toto Statement v1 with a SLSA v1 provenance predicate for one build. Pure: same input, same JSON. */
export function provenanceStatement(build: BuildDescription): Record<string, unknown> {
  if (build.subjects.length === 0) throw new SbomError('INVALID_INPUT', 'building provenance: no subject');
  if (build.context && !build.context.uri && !build.context.digest)
    throw new SbomError('INVALID_INPUT', 'building provenance: the context needs a uri or a digest');
  const secret = new Set(build.secretNames ?? []);
  const buildArgs = Object.fromEntries(
    Object.entries(build.buildArgs ?? {})
      .filter(([k]) => !secret.has(k) && !SECRETISH.test(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const ci = build.env ? ciRun(build.env) : undefined;
  const resolvedDependencies: ResourceDescriptor[] = [
    ...(ci?.source ? [ci.source] : []),
    ...(build.baseImages ?? [])
      .map((b) => ({ uri: b.name, digest: digestRecord(b.digest, `base image ${b.name}`) }))
      .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0)),
  ];
  const metadata: Record<string, string> = {};
  if (ci?.invocationId) metadata.invocationId = ci.invocationId;
  if (build.startedOn) metadata.startedOn = iso(build.startedOn);
  if (build.finishedOn) metadata.finishedOn = iso(build.finishedOn);
  return {
    _type: STATEMENT_TYPE,
    subject: build.subjects.map((s) => ({
      name: s.name,
      digest: digestRecord(s.digest, `subject ${s.name}`),
    })),
    predicateType: PROVENANCE_PREDICATE_TYPE,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: {
          ...(build.dockerfile
            ? {
                dockerfile: {
                  path: build.dockerfile.path,
                  ...(build.dockerfile.digest
                    ? { digest: digestRecord(build.dockerfile.digest, 'dockerfile') }
                    : {}),
                },
              }
            : {}),
          ...(build.context
            ? {
                context: {
                  ...(build.context.uri ? { uri: build.context.uri } : {}),
                  ...(build.context.digest ? { digest: digestRecord(build.context.digest, 'context') } : {}),
                },
              }
            : {}),
          buildArgs,
          ...(build.target ? { target: build.target } : {}),
          ...(build.platform ? { platform: build.platform } : {}),
        },
        internalParameters: ci ? { ci: ci.system, ...ci.parameters } : {},
        resolvedDependencies,
      },
      runDetails: {
        builder: {
          id: build.builderId,
          ...(build.builderVersion ? { version: { ...build.builderVersion } } : {}),
        },
        metadata,
      },
    },
  };
}
