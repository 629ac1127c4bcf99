import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadUndici } from './undici-loader.js';

describe('loadUndici', () => {
  it("loads only undici's Agent and request files from the installed version, and they send requests", async () => {
    const parts = await loadUndici();
    // 'package' would mean the files moved: requests still work, but start-up pays for all of undici
    expect(parts.source).toBe('files');
    const server = createServer((req, res) => {
      res.writeHead(201, { 'x-seen': `${req.method} ${req.url}` }).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new parts.Agent();
    try {
      const url = new URL(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/a/blobs/uploads/?digest=x`,
      );
      const res = await parts.request(agent, url, { method: 'PUT', body: 'abc' });
      expect(res.statusCode).toBe(201);
      expect(res.headers['x-seen']).toBe('PUT /v2/a/blobs/uploads/?digest=x');
      expect(await res.body.text()).toBe('ok');
    } finally {
      await agent.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
