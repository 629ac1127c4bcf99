import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` on a free 127.0.0.1 port; answers `host:port`. */
export async function listenLocal(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Drops every connection and closes `server`. */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
