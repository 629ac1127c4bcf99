import { KanikoError } from '@kaniko-ts/oci';

export type GitlabErrorCode = 'DOTENV_LIMIT' | 'DOTENV_VALUE' | 'NOT_IN_GITLAB';

/** The one error class of `@kaniko-ts/gitlab`. */
export class GitlabError extends KanikoError<GitlabErrorCode> {}
