// Builds the review desk into ui/dist, which the service serves under `/` (src/modules/ui).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** Where `npm start` listens by default; only the dev server (`vite --config ui/vite.config.ts`) uses it. */
const API_ORIGIN = 'http://127.0.0.1:3000';

/**
 * Writes .br and .gz beside every text file of the build, once, at build time: the service serves
 * them to browsers that accept them (@fastify/static preCompressed) instead of compressing the
 * bundled NL Design System CSS (~450 kB) on every request.
 */
function precompress(): Plugin {
  return {
    name: 'spreiding-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const fileName of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(fileName)) continue;
        const path = join(options.dir ?? join(root, 'dist'), fileName);
        const data = readFileSync(path);
        writeFileSync(`${path}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } }));
        writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  plugins: [precompress()],
  root,
  base: '/',
  // Everything the page loads comes from the bundle: no public/ folder copied unhashed.
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Never inline assets as data: URLs or scripts; the Content-Security-Policy allows neither
    // for scripts, and hashed files cache forever.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    // The dev server proxies the API so the page stays same-origin, as in production.
    proxy: { '/api': API_ORIGIN, '/ui/session': API_ORIGIN },
  },
});
