/** Repository part of a reference (drops tag and digest): `r:5000/a/b:1@sha256:…` → `r:5000/a/b`. */
export function repositoryOf(ref: string): string {
  const noDigest = ref.split('@')[0] ?? ref;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}
