import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { skopeo } from '../harness/index.js';
import { registry } from './in-place-run.js';

/** Reading pushed images with skopeo's OCI layout and tar-stream, not with kaniko-ts's own code. */

/** The content of files of a pushed image, read with skopeo's OCI layout (not kaniko-ts). */
export async function skopeoCat(ref: string, paths: string[], workDir: string): Promise<string[]> {
  const blobs = await allBlobs(ref, workDir);
  const { extract } = await import('tar-stream');
  const found = new Map<string, string>();
  for (const b of blobs.filter((x) => x.layer)) {
    const ex = extract();
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        const name = `/${h.name.replace(/^\.?\//, '')}`;
        if (paths.includes(name)) found.set(name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    await new Promise<void>((resolve, reject) => {
      ex.on('finish', resolve);
      ex.on('error', reject);
      ex.end(b.raw);
    });
  }
  return paths.map((p) => found.get(p) ?? `<missing ${p}>`);
}

/** Every blob of the image (config, layers uncompressed, manifest), as skopeo copies it. */
export async function allBlobs(ref: string, workDir: string) {
  const dir = await mkdtemp(join(workDir, 'blobs-'));
  const r = await skopeo(['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:x`], {
    registry: registry(),
  });
  if (r.exitCode !== 0) throw new Error(`skopeo copy ${ref}: ${r.stderr}`);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  const path = (d: string) => join(dir, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(await readFile(path(index.manifests[0].digest), 'utf8'));
  const layers = new Set<string>(manifest.layers.map((l: { digest: string }) => l.digest));
  const out: Array<{ digest: string; layer: boolean; raw: Buffer; text: string }> = [];
  for (const name of await readdir(join(dir, 'blobs', 'sha256'))) {
    const digest = `sha256:${name}`;
    let raw = await readFile(path(digest));
    if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
    out.push({ digest, layer: layers.has(digest), raw, text: raw.toString('latin1') });
  }
  return out;
}
