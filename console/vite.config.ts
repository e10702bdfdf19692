import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The web console: `npm run build` writes it to dist/console, which the server serves at `/`.
// `npx vite --config console/vite.config.ts` serves it for development, with /v1 passed to a
// Trove on the default port.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // every browser that runs ES2022 preloads modules itself
    modulePreload: { polyfill: false },
    // nothing is inlined: the Content-Security-Policy allows files from the server only
    assetsInlineLimit: 0
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:8080' }
  }
})
