/**
 * tar-stream, loaded when an archive is first written. It brings streamx and its helpers, ~3 ms of
 * evaluation that every importer of this package would otherwise pay at start-up (the CLI imports it
 * for every command; only docker-archive output and test images write tars with it).
 */
export async function loadTarStream(): Promise<typeof import('tar-stream')> {
  const mod = await import('tar-stream');
  // CommonJS: node gives it as `default`; a bundler may give the namespace itself
  return (mod as { default?: typeof import('tar-stream') }).default ?? mod;
}
