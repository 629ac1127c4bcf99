/**
 * Base class of every error kaniko-ts throws on purpose. Each package has exactly one subclass
 * (`OciError`, `RegistryError`, `DockerfileError`, …) with a string-literal union of codes, so callers
 * can branch on `error.code` and adapters can map codes to exit statuses.
 *
 * Messages are lower-case and start with the operation ("pushing layer sha256:…: 401 unauthorized").
 */
export class KanikoError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
