/** `registry/repo` of `registry/repo:tag` or `registry/repo@digest` (a registry port is kept). */
export function repository(ref: string): string {
  const noDigest = ref.split('@')[0] as string;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** The tag of `registry/repo:tag`, if it has one. */
export function tagOf(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const noDigest = ref.split('@')[0] as string;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : undefined;
}
