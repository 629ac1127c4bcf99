import { createHash, generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fulcioHandler,
  type HandlerFn,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  tsaHandler,
} from '@sigstore/mock';
import { GITHUB_ISSUER, githubClaims, makeToken, type TokenClaims } from './oidc-endpoint.js';

/**
 * Fulcio, Rekor (v1, and v2 for dsse), a timestamp authority and a GitHub-style OIDC token endpoint from
 * `@sigstore/mock`, served over HTTP on 127.0.0.1, with the matching `trusted_root.json`.
 *
 * Two fixes over the stock handlers (see research §3.7): Rekor canonicalizes `dsse` entries as real
 * Rekor does (envelope hash over the exact submitted envelope string, payload hash, signature +
 * verifier), and every service uses a fixed clock with a non-zero millisecond part so the TSA's
 * GeneralizedTime always parses.
 */

export type Service = 'fulcio' | 'rekor' | 'tsa' | 'oidc';

export interface MockSigstoreOptions {
  /** Per-service clocks (default: one clock shortly after start, .123 ms). */
  clock?: { fulcio?: Date; rekor?: Date; tsa?: Date };
  /** Claims in the tokens the OIDC endpoint hands out (default {@link githubClaims}). */
  claims?: TokenClaims;
}

export interface MockSigstore {
  fulcioURL: string;
  rekorURL: string;
  tsaURL: string;
  /** Environment a GitHub Actions job with `id-token: write` would have. */
  githubEnv: { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** `trusted_root.json` content for these services. */
  trustedRoot: Record<string, unknown>;
  claims: TokenClaims;
  issuer: string;
  /** Requests answered per service (failures included). */
  requests: Record<Service, number>;
  /** Audiences requested from the OIDC endpoint. */
  audiences: string[];
  /** Makes the next `count` requests to `service` answer 503. */
  failNext(service: Service, count: number): void;
  /** A token with the configured (or given) claims. */
  token(claims?: TokenClaims): string;
  stop(): Promise<void>;
}

function canonicalDsse(entry: {
  spec: { proposedContent: { envelope: string; verifiers: string[] } };
}): object {
  const { envelope, verifiers } = entry.spec.proposedContent;
  const env = JSON.parse(envelope) as { payload: string; signatures: { sig: string }[] };
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha(envelope) },
      payloadHash: { algorithm: 'sha256', value: sha(Buffer.from(env.payload, 'base64')) },
      signatures: env.signatures.map((s, i) => ({
        signature: s.sig,
        verifier: verifiers[i] ?? verifiers[0],
      })),
    },
  };
}

const der = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startMockSigstore(options: MockSigstoreOptions = {}): Promise<MockSigstore> {
  const base = new Date(Math.floor(Date.now() / 1000) * 1000 + 1123);
  const clock = { fulcio: base, rekor: base, tsa: base, ...options.clock };
  const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ctlog = await initializeCTLog(keyPair(), clock.fulcio);
  const ca = await initializeCA(keyPair(), ctlog, clock.fulcio);
  const tlogKeys = keyPair();
  const tsa = await initializeTSA(keyPair(), clock.tsa);
  const fulcio = fulcioHandler(ca);
  const tsaH = tsaHandler(tsa);
  const requestToken = `req-${Math.random().toString(36).slice(2)}`;
  const claims = options.claims ?? githubClaims();
  const failures: Record<Service, number> = { fulcio: 0, rekor: 0, tsa: 0, oidc: 0 };
  const requests: Record<Service, number> = { fulcio: 0, rekor: 0, tsa: 0, oidc: 0 };
  const audiences: string[] = [];
  let tlog: Awaited<ReturnType<typeof initializeTLog>> | undefined;

  const rekor: HandlerFn = async (body) => {
    const proposed = JSON.parse(body) as { kind?: string };
    const entry = proposed.kind === 'dsse' ? canonicalDsse(proposed as never) : proposed;
    const logged = await (tlog as NonNullable<typeof tlog>).log(entry);
    return { statusCode: 201, response: JSON.stringify(logged), contentType: 'application/json' };
  };

  // Rekor v2 (dsse only): log the canonical Entry real Rekor v2 stores, not the request, and label the
  // one-entry-tree proof the mock computes with index 0.
  const rekorV2: HandlerFn = async (body) => {
    const req = JSON.parse(body) as {
      dsseRequestV002?: {
        envelope: { payload: string; signatures: { sig: string }[] };
        verifiers: unknown[];
      };
    };
    const dsse = req.dsseRequestV002;
    if (!dsse) return { statusCode: 400, response: 'mock rekor v2: only dsse entries' };
    const entry = {
      apiVersion: '0.0.2',
      kind: 'dsse',
      spec: {
        dsseV002: {
          payloadHash: {
            algorithm: 'SHA2_256',
            digest: createHash('sha256')
              .update(Buffer.from(dsse.envelope.payload, 'base64'))
              .digest('base64'),
          },
          signatures: dsse.envelope.signatures.map((sig, i) => ({
            content: sig.sig,
            verifier: dsse.verifiers[i],
          })),
        },
      },
    };
    const logged = await (tlog as NonNullable<typeof tlog>).logV2(entry as never);
    // protobuf JSON of the entry, with the proof labelled for the one-entry tree it was computed for
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    const proof = logged.inclusionProof;
    const json = {
      logIndex: '0',
      logId: { keyId: b64(logged.logId?.keyId ?? new Uint8Array()) },
      kindVersion: logged.kindVersion,
      integratedTime: logged.integratedTime,
      inclusionProof: proof && {
        logIndex: '0',
        rootHash: b64(proof.rootHash),
        treeSize: proof.treeSize,
        hashes: proof.hashes.map(b64),
        checkpoint: proof.checkpoint,
      },
      canonicalizedBody: b64(logged.canonicalizedBody),
    };
    return { statusCode: 201, response: JSON.stringify(json), contentType: 'application/json' };
  };

  const routes: Record<string, { service: Service; fn: HandlerFn }> = {
    [`POST ${fulcio.path}`]: { service: 'fulcio', fn: fulcio.fn },
    'POST /api/v1/log/entries': { service: 'rekor', fn: rekor },
    'POST /api/v2/log/entries': { service: 'rekor', fn: rekorV2 },
    [`POST ${tsaH.path}`]: { service: 'tsa', fn: tsaH.fn },
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/oidc/token') {
        requests.oidc++;
        if (failures.oidc > 0) {
          failures.oidc--;
          res.writeHead(503).end();
          return;
        }
        if (req.headers.authorization !== `bearer ${requestToken}`) {
          res.writeHead(401).end();
          return;
        }
        const aud = url.searchParams.get('audience') ?? '';
        audiences.push(aud);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ value: makeToken({ ...claims, aud }) }));
        return;
      }
      const route = routes[`${req.method} ${url.pathname}`];
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      requests[route.service]++;
      const body = await readBody(req);
      if (failures[route.service] > 0) {
        failures[route.service]--;
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'mock outage' }));
        return;
      }
      const out = await route.fn(body);
      res.writeHead(out.statusCode, { 'content-type': out.contentType ?? 'text/plain' });
      res.end(typeof out.response === 'string' ? out.response : Buffer.from(out.response.buffer));
    })().catch((e: unknown) => {
      res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tlog = await initializeTLog(url, tlogKeys, clock.rekor);

  const start = new Date(
    Math.min(clock.fulcio.getTime(), clock.rekor.getTime(), clock.tsa.getTime()) - 3600_000,
  );
  const tlogSpki = tlogKeys.publicKey.export({ type: 'spki', format: 'der' });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: tlogSpki.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start: start.toISOString() },
        },
        logId: { keyId: createHash('sha256').update(tlogSpki).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: der(ca.rootCertificate) }] },
        validFor: { start: start.toISOString() },
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: ctlog.publicKey.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start: start.toISOString() },
        },
        logId: { keyId: der(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: url,
        certChain: {
          certificates: [{ rawBytes: der(tsa.intCertificate) }, { rawBytes: der(tsa.rootCertificate) }],
        },
        validFor: { start: start.toISOString() },
      },
    ],
  };

  return {
    fulcioURL: url,
    rekorURL: url,
    tsaURL: url,
    githubEnv: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${url}/oidc/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    },
    trustedRoot,
    claims,
    issuer: String(claims.iss ?? GITHUB_ISSUER),
    requests,
    audiences,
    failNext(service, count) {
      failures[service] = count;
    },
    token: (c) => makeToken(c ?? claims),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
