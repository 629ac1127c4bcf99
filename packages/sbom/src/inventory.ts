/** A license as found: a valid SPDX expression, or the plain name the package used. */
export type License = { readonly expression: string } | { readonly name: string };

/** Package ecosystems the catalogers produce (the purl type). */
export type PackageType = 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'golang' | 'maven' | 'cargo';

/** One installed package found in a file system. */
export interface CatalogedPackage {
  readonly type: PackageType;
  /** Name as the package manager spells it (npm: without scope; maven: artifactId). */
  readonly name: string;
  readonly version: string;
  /** npm scope (`@types`), maven groupId, Go module path prefix; absent when none. */
  readonly namespace?: string;
  /** Package URL, spec-conformant encoding; unique within an inventory. */
  readonly purl: string;
  readonly cpes: readonly string[];
  readonly licenses: readonly License[];
  /** Absolute paths (in the scanned file system) of the files that evidence the package, sorted. */
  readonly evidence: readonly string[];
  /** diffID of the layer that first introduced the package, when layers are known. */
  readonly layer?: string;
  /** Name of the cataloger that found it (`dpkg-db`, `npm-package`, …). */
  readonly foundBy: string;
  /** Ecosystem details (arch, source package, epoch, go version, …), string values, sorted keys. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Operating-system identity from `/etc/os-release` and its fallbacks. */
export interface Distro {
  /** `ID` (debian, ubuntu, alpine, fedora, rhel, …). */
  readonly id: string;
  readonly versionId?: string;
  readonly versionCodename?: string;
  readonly prettyName?: string;
  readonly idLike?: readonly string[];
  /** The file the identity came from. */
  readonly source: string;
}

/** What was scanned. */
export interface InventorySource {
  readonly kind: 'image' | 'directory';
  /** Image reference or directory label (never a host path unless the caller passes one). */
  readonly name: string;
  /** Image manifest digest (`sha256:…`), when scanning an image. */
  readonly digest?: string;
  /** Platform architecture of the image (`amd64`), used in the image purl. */
  readonly architecture?: string;
  /** Repository URL without tag/digest, for the `pkg:oci` purl (`registry.example.com/team/app`). */
  readonly repository?: string;
}

/** Result of cataloguing: sorted by purl, one entry per purl. */
export interface Inventory {
  readonly source: InventorySource;
  readonly distro?: Distro;
  /** Layer diffIDs in order (empty for a directory without layer map). */
  readonly layers: readonly string[];
  readonly packages: readonly CatalogedPackage[];
}
