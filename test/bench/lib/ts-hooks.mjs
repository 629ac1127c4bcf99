// Lets plain `node` run the TypeScript harness and packages (Node 24 strips types natively):
// `@kaniko-ts/<pkg>` resolves to packages/<pkg>/src/index.ts, as vitest's alias does, and a relative
// `./x.js` import resolves to `./x.ts` when only the TypeScript source exists.
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

registerHooks({
  resolve(specifier, context, nextResolve) {
    const pkg = /^@kaniko-ts\/([a-z-]+)$/.exec(specifier);
    if (pkg) {
      const src = `${root}packages/${pkg[1]}/src/index.ts`;
      if (existsSync(src)) return { url: pathToFileURL(src).href, shortCircuit: true };
    }
    if (
      (specifier.startsWith('.') || specifier.startsWith('/')) &&
      specifier.endsWith('.js') &&
      context.parentURL
    ) {
      const js = new URL(specifier, context.parentURL);
      if (js.protocol === 'file:' && !existsSync(js)) {
        const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
        if (existsSync(ts)) return { url: ts.href, shortCircuit: true };
      }
    }
    return nextResolve(specifier, context);
  },
});
