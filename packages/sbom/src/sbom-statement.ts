import { STATEMENT_TYPE } from './provenance.js';
import { SbomError } from './sbom-error.js';

/** Predicate types cosign uses for `--type spdxjson` and `--type cyclonedx`. */
export const SPDX_PREDICATE_TYPE = 'https://spdx.dev/Document';
export const CYCLONEDX_PREDICATE_TYPE = 'https://cyclonedx.org/bom';

/**
 * Wraps an SBOM document in an (unsigned) in-toto Statement v1 whose subject is the image manifest
 * digest; the predicate type follows the document format. Signing is `@kaniko-ts/sigstore`'s job.
 */
export function sbomStatement(
  subject: { readonly name: string; readonly digest: string },
  document: unknown,
) {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(subject.digest);
  if (!m)
    throw new SbomError(
      'INVALID_INPUT',
      `building sbom statement: subject digest ${subject.digest} is not algorithm:hex`,
    );
  const d = (document ?? {}) as Record<string, unknown>;
  const predicateType =
    typeof d.spdxVersion === 'string'
      ? SPDX_PREDICATE_TYPE
      : d.bomFormat === 'CycloneDX'
        ? CYCLONEDX_PREDICATE_TYPE
        : undefined;
  if (!predicateType)
    throw new SbomError(
      'INVALID_INPUT',
      'building sbom statement: document is neither SPDX nor CycloneDX JSON',
    );
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: subject.name, digest: { [m[1]!]: m[2]! } }],
    predicateType,
    predicate: document,
  };
}
