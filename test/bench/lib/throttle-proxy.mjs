// A TCP proxy in front of the bench registry whose upload direction (client -> registry) is limited
// to a rate, as a CI runner's uplink to a remote registry is: the loopback registry takes ~175 MB/s,
// which hides what overlapping compression and upload is worth. Downloads are not limited.
import net from 'node:net';

/**
 * Starts the proxy on 127.0.0.1 (a free port) forwarding to `target` (`host:port`), uploads limited
 * to `mibPerSecond`. Token bucket with a 50 ms burst, shared by all connections.
 * @returns {Promise<{ host: string, stop: () => Promise<void> }>}
 */
export async function startThrottleProxy(target, mibPerSecond) {
  const [targetHost, targetPort] = target.split(':');
  const rate = mibPerSecond * 1024 * 1024;
  let budget = 0;
  let last = performance.now();
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    upstream.pipe(client);
    client.on('data', (chunk) => {
      const now = performance.now();
      budget = Math.min(budget + ((now - last) / 1000) * rate, rate * 0.05) - chunk.length;
      last = now;
      if (budget < 0) {
        client.pause();
        setTimeout(() => client.resume(), (-budget / rate) * 1000);
      }
      upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
