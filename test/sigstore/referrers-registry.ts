import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Referrer {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/**
 * A loopback front for a real distribution 2.8 registry that adds the OCI 1.1 referrers API it
 * lacks: manifests pushed with a `subject` are recorded (and answered with `OCI-Subject`), and
 * `GET /v2/<name>/referrers/<digest>` lists them as an OCI index. Everything else is forwarded.
 * Debian and npm offer no registry with a referrers API (see the sigstore README's limits).
 */
export class ReferrersRegistry {
  readonly requests: { method: string; path: string }[] = [];
  readonly #upstream: URL;
  readonly #referrers = new Map<string, Referrer[]>();
  #server: http.Server | undefined;
  host = '';

  constructor(upstream: string) {
    this.#upstream = new URL(upstream);
  }

  async start(): Promise<this> {
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        res.writeHead(502).end(String(e));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? 'GET', path });
    const listing = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})(?:\?(.*))?$/.exec(path);
    if (listing && req.method === 'GET') {
      const [, name, subject, query] = listing;
      const type = new URLSearchParams(query ?? '').get('artifactType');
      const all = this.#referrers.get(`${name}@${subject}`) ?? [];
      const manifests = type ? all.filter((r) => r.artifactType === type) : all;
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests,
      });
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.index.v1+json',
        ...(type ? { 'oci-filters-applied': 'artifactType' } : {}),
      });
      res.end(body);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers = { ...req.headers, host: this.#upstream.host };
    const upstream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = http.request(
        { host: this.#upstream.hostname, port: this.#upstream.port, method: req.method, path, headers },
        resolve,
      );
      r.on('error', reject);
      r.end(body);
    });
    const out: Buffer[] = [];
    for await (const c of upstream) out.push(c as Buffer);
    const extra: Record<string, string> = {};
    const put = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(path);
    if (put && req.method === 'PUT' && upstream.statusCode === 201) {
      const manifest = JSON.parse(body.toString('utf8')) as {
        mediaType?: string;
        artifactType?: string;
        config?: { mediaType?: string };
        annotations?: Record<string, string>;
        subject?: { digest: string };
      };
      const digest = upstream.headers['docker-content-digest'];
      if (manifest.subject && typeof digest === 'string') {
        const key = `${put[1]}@${manifest.subject.digest}`;
        const list = this.#referrers.get(key) ?? [];
        const artifactType = manifest.artifactType ?? manifest.config?.mediaType;
        list.push({
          mediaType: manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
          digest,
          size: body.length,
          ...(artifactType ? { artifactType } : {}),
          ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
        });
        this.#referrers.set(key, list);
        extra['oci-subject'] = manifest.subject.digest;
      }
    }
    res.writeHead(upstream.statusCode ?? 502, { ...upstream.headers, ...extra });
    res.end(Buffer.concat(out));
  }
}
