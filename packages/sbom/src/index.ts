export {
  type BuildCataloger,
  buildCataloger,
  type CatalogDirectoryOptions,
  type CatalogLayersOptions,
  type CatalogOptions,
  catalogDirectory,
  catalogLayers,
  catalogView,
  DEFAULT_CATALOGERS,
  derivePolicy,
  ELF_SECTIONS,
  type InventoryWithWarnings,
  retainPolicy,
} from './catalog.js';
export { type CatalogImageOptions, catalogImage } from './catalog-image.js';
export type { CatalogContext, Cataloger, FoundPackage } from './cataloger.js';
export { apkCataloger, parseApkInstalled } from './catalogers/apk.js';
export { debianCopyrightLicenses, dpkgCataloger } from './catalogers/dpkg.js';
export {
  type GoBuildInfo,
  type GoModule,
  goBinaryCataloger,
  parseGoBuildInfoSection,
  parseModInfo,
} from './catalogers/go-binary.js';
export { javaArchiveCataloger, parseManifest, parseProperties } from './catalogers/java-archive.js';
export { npmCataloger } from './catalogers/npm.js';
export { normalizePythonName, pythonCataloger } from './catalogers/python.js';
export { rpmCataloger, rpmSqliteBlobs } from './catalogers/rpm.js';
export { rustAuditCataloger } from './catalogers/rust-audit.js';
export { applicationCpe, cpeEscape } from './cpe.js';
export { type CycloneDxOptions, toCycloneDx } from './cyclonedx.js';
export { type DirectoryViewOptions, directoryView } from './directory-view.js';
export { DISTRO_FILES, detectDistro, distroQualifier, parseOsRelease } from './distro.js';
export { type DocumentPackage, documentPackages } from './document-packages.js';
export {
  type DirEntry,
  type EntryType,
  type FileInfo,
  type FileSystemView,
  type FileVersion,
  normalizePath,
  resolvePath,
} from './file-system-view.js';
export { imagePurl } from './image-purl.js';
export type {
  CatalogedPackage,
  Distro,
  Inventory,
  InventorySource,
  License,
  PackageType,
} from './inventory.js';
export { type LayerCollector, layerCollector, layeredView } from './layered-view.js';
export type { LayeredViewOptions, LayerTar, RetainMode } from './layered-view-options.js';
export { isSpdxExpression, toLicense } from './license.js';
export { formatPurl, type PackageUrlParts, parsePurl, purlEncode } from './package-url.js';
export {
  BUILD_TYPE,
  type BuildDescription,
  ciRun,
  PROVENANCE_PREDICATE_TYPE,
  provenanceStatement,
  type ResourceDescriptor,
  STATEMENT_TYPE,
} from './provenance.js';
export { type RecordedLayer, recordLayer } from './record-layer.js';
export { SbomError, type SbomErrorCode } from './sbom-error.js';
export { CYCLONEDX_PREDICATE_TYPE, SPDX_PREDICATE_TYPE, sbomStatement } from './sbom-statement.js';
export { displayName, type SpdxDocument, type SpdxOptions, spdxPackageId, toSpdx } from './spdx.js';
