// The real components a benchmark needs, started the same way the tests start them.
import { ensureBaseImages, pushBaseImages } from '../../harness/base-images.ts';
import { ensureContainersSetup } from '../../harness/containers-config.ts';
import { BENCH_TOOLS, ensureTools, TEST_TOOLS } from '../../harness/ensure-tools.ts';
import { startRegistry } from '../../harness/registry.ts';

/**
 * Installs missing tools (plus GNU time for peak RSS), builds or reuses the cached base images and
 * starts a plain loopback registry holding them. Call `stop()` when done (also on failure).
 */
export async function startBenchEnvironment() {
  await ensureTools({ tools: [...TEST_TOOLS, ...BENCH_TOOLS] });
  const bases = await ensureBaseImages();
  const containers = await ensureContainersSetup();
  const registry = await startRegistry({ variant: 'plain' });
  const stopOnSignal = () => {
    registry.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  try {
    const pushed = await pushBaseImages(registry, bases);
    return {
      registry,
      bases,
      pushed,
      containersEnv: { ...process.env, ...containers.env },
      async stop() {
        process.removeListener('SIGINT', stopOnSignal);
        await registry.stop();
      },
    };
  } catch (e) {
    await registry.stop();
    throw e;
  }
}
