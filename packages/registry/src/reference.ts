import { RegistryError } from './registry-error.js';

/** Docker Hub's canonical API host; `docker.io` and `registry-1.docker.io` normalise to it. */
export const DOCKER_HUB = 'index.docker.io';
const dockerHubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const repositoryPattern = new RegExp(`^${component}(?:/${component})*$`);
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const hostLabel = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const registryPattern = new RegExp(
  `^(?:${hostLabel}(?:\\.${hostLabel})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`,
);
const digestLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ParseReferenceOptions {
  /** Registry for names without one; default Docker Hub. */
  readonly defaultRegistry?: string;
  /** Tag for names with neither tag nor digest; default `latest`. */
  readonly defaultTag?: string;
}

/**
 * A parsed image reference: `registry/repository[:tag][@digest]`, normalised (`ubuntu` →
 * `index.docker.io/library/ubuntu:latest`). Immutable; `with*` return new references.
 */
export class Reference {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;

  constructor(registry: string, repository: string, tag?: string, digest?: string) {
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
  }

  /** `registry/repository`, without tag or digest. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** What goes after `/manifests/` in a URL: the digest if there is one, else the tag. */
  get identifier(): string {
    return this.digest ?? this.tag ?? 'latest';
  }

  withTag(tag: string): Reference {
    if (!tagPattern.test(tag)) throw invalid(tag, `invalid tag ${JSON.stringify(tag)}`);
    return new Reference(this.registry, this.repository, tag, undefined);
  }

  withDigest(digest: string): Reference {
    checkDigest(digest, digest);
    return new Reference(this.registry, this.repository, undefined, digest);
  }

  /** Same repository, another repository name on the same registry. */
  withRepository(repository: string): Reference {
    if (!repositoryPattern.test(repository)) throw invalid(repository, 'invalid repository name');
    return new Reference(this.registry, repository, this.tag, this.digest);
  }

  toString(): string {
    return `${this.name}${this.tag === undefined ? '' : `:${this.tag}`}${this.digest === undefined ? '' : `@${this.digest}`}`;
  }

  /** The short form people type: `ubuntu:22.04`, `user/app`, `127.0.0.1:5000/x:1`. */
  toFamiliarString(): string {
    let name = this.name;
    if (this.registry === DOCKER_HUB) {
      name = this.repository.startsWith('library/') ? this.repository.slice(8) : this.repository;
    }
    return `${name}${this.tag === undefined ? '' : `:${this.tag}`}${this.digest === undefined ? '' : `@${this.digest}`}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Normalises a registry host: Docker Hub aliases become `index.docker.io`, the host is lower-cased. */
export function normalizeRegistry(registry: string): string {
  const lower = registry.toLowerCase();
  return dockerHubAliases.has(lower) ? DOCKER_HUB : lower;
}

/**
 * Parses `[registry/]repository[:tag][@digest]` the way docker does: the first path component is a
 * registry when it contains `.` or `:`, is `localhost`, or has upper-case letters. Throws
 * `RegistryError('INVALID_REFERENCE')` naming what is wrong.
 */
export function parseReference(input: string, options: ParseReferenceOptions = {}): Reference {
  if (input.length === 0) throw invalid(input, 'empty reference');
  if (/\s/.test(input)) throw invalid(input, 'reference contains whitespace');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(input, digest);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) throw invalid(input, `invalid tag ${JSON.stringify(tag)}`);
  }
  let registry = options.defaultRegistry ?? DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (
      first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first !== first.toLowerCase()
    ) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (!registryPattern.test(registry)) throw invalid(input, `invalid registry ${JSON.stringify(registry)}`);
  const port = /:(\d+)$/.exec(registry)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw invalid(input, `invalid port ${port}`);
  }
  registry = normalizeRegistry(registry);
  if (repository.length === 0) throw invalid(input, 'missing repository name');
  if (repository !== repository.toLowerCase()) throw invalid(input, 'repository name must be lowercase');
  if (!repositoryPattern.test(repository))
    throw invalid(input, `invalid repository name ${JSON.stringify(repository)}`);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (registry.length + 1 + repository.length > 255)
    throw invalid(input, 'repository name longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = options.defaultTag ?? 'latest';
  return new Reference(registry, repository, tag, digest);
}

function checkDigest(input: string, digest: string): void {
  if (!digestPattern.test(digest)) throw invalid(input, `invalid digest ${JSON.stringify(digest)}`);
  const [algorithm, hex] = digest.split(':') as [string, string];
  const length = digestLengths[algorithm];
  if (length === undefined) throw invalid(input, `unsupported digest algorithm ${algorithm}`);
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) {
    throw invalid(input, `invalid ${algorithm} digest: expected ${length} lowercase hex characters`);
  }
}

function invalid(input: string, why: string): RegistryError {
  return new RegistryError('INVALID_REFERENCE', `parsing reference ${JSON.stringify(input)}: ${why}`);
}
