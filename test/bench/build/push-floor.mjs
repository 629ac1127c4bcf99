// The least a node process can do for a warm build's registry traffic: no Dockerfile, no cache, no
// image assembly; only undici (the same Agent and request files kaniko-ts loads) sending the requests
// kaniko-ts's warm build sends, in the same round-trip groups:
//   1. GET each base image's manifest by tag ‖ POST an upload session in the target repo (kaniko-ts's
//      push-permission check, whose session then takes the config);
//   2. HEAD each layer of the image ‖ PUT the config on that session ‖ HEAD the manifest by tag;
//   3. PUT the manifest by tag, only when the tag named another manifest (a rebuild with no change
//      is the same image, so a warm build skips it).
// build-peers.bench.mjs bundles this file with esbuild (as the CLI is bundled) and runs it as a whole
// process next to kaniko-ts's warm runs, with the image kaniko-ts pushed. The gap between the two is
// what kaniko-ts's own code costs on a warm build; the rest is node, undici and the registry.
// One JSON argument: { host (pushes), baseHost (base manifests), repo, tag, bases: ["repo:tag"], config: base64, manifest: base64,
// manifestType }. Any unexpected status fails the process, so a broken run is never
// timed as a fast one.
import { createHash } from 'node:crypto';
import { flushCompileCache } from 'node:module';

const input = JSON.parse(process.argv[2]);
const { default: Agent } = await import('undici/lib/dispatcher/agent.js');
const { default: request } = await import('undici/lib/api/api-request.js');

const agent = new Agent();
const origin = `http://${input.host}`;
const send = async (path, opts, expected, at = origin) => {
  const res = await request.call(agent, { origin: at, path, method: 'GET', ...opts });
  const body = await res.body.arrayBuffer();
  if (!expected.includes(res.statusCode)) {
    throw new Error(
      `${opts.method ?? 'GET'} ${path}: ${res.statusCode} ${Buffer.from(body).toString().slice(0, 300)}`,
    );
  }
  return res;
};
const accept = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const [session] = await Promise.all([
  send(`/v2/${input.repo}/blobs/uploads/`, { method: 'POST' }, [202]),
  ...input.bases.map((ref) => {
    const [repo, tag] = ref.split(':');
    return send(`/v2/${repo}/manifests/${tag}`, { headers: { accept } }, [200], `http://${input.baseHost}`);
  }),
]);

const config = Buffer.from(input.config, 'base64');
const manifest = Buffer.from(input.manifest, 'base64');
const layers = JSON.parse(manifest.toString()).layers.map((l) => l.digest);
const upload = new URL(session.headers.location, origin);
upload.searchParams.set('digest', `sha256:${createHash('sha256').update(config).digest('hex')}`);
const [current] = await Promise.all([
  send(`/v2/${input.repo}/manifests/${input.tag}`, { method: 'HEAD', headers: { accept } }, [200, 404]),
  ...layers.map((digest) => send(`/v2/${input.repo}/blobs/${digest}`, { method: 'HEAD' }, [200])),
  send(
    upload.pathname + upload.search,
    { method: 'PUT', body: config, headers: { 'content-type': 'application/octet-stream' } },
    [201],
  ),
]);
const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
if (current.headers['docker-content-digest'] !== digest) {
  await send(
    `/v2/${input.repo}/manifests/${input.tag}`,
    { method: 'PUT', body: manifest, headers: { 'content-type': input.manifestType } },
    [201],
  );
}
process.stdout.write(`${layers.length} layers\n`);
// kaniko-ts's CLI ends a successful build the same way (packages/cli/src/exit-without-teardown.ts)
flushCompileCache();
if (process.stdout.writableLength === 0 && process.execve) process.execve('/bin/true', ['/bin/true'], {});
