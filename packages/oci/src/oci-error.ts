import { KanikoError } from './kaniko-error.js';

/** Every reason `@kaniko-ts/oci` throws on purpose. */
export type OciErrorCode =
  /** A string is not `<algorithm>:<hex>` with a supported algorithm and the right hex length. */
  | 'INVALID_DIGEST'
  /** Bytes read do not hash to the digest that named them. */
  | 'DIGEST_MISMATCH'
  /** Bytes read are more or fewer than the descriptor's size. */
  | 'SIZE_MISMATCH'
  /** A platform string or object cannot be understood. */
  | 'INVALID_PLATFORM'
  /** A manifest, index or config is not valid JSON of the expected shape. */
  | 'INVALID_MANIFEST'
  /** A media type this code cannot handle in this position. */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** A tag, digest, platform or blob that was asked for is not there. */
  | 'NOT_FOUND'
  /** More than one candidate matches a selector that must name exactly one. */
  | 'AMBIGUOUS'
  /** An OCI image layout directory is malformed. */
  | 'INVALID_LAYOUT'
  /** A docker-archive tarball is malformed. */
  | 'INVALID_ARCHIVE'
  /** `validateImage`/`validateIndex` found inconsistencies. */
  | 'INVALID_IMAGE'
  /** Bad arguments passed by the caller. */
  | 'INVALID_ARGUMENT';

/** The one error class of `@kaniko-ts/oci`: branch on `error.code`. */
export class OciError extends KanikoError<OciErrorCode> {}
