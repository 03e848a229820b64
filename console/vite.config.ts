import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The console is served by the gateway from console/dist under the same origin (no CDN, no
// inline scripts: the gateway's Content-Security-Policy allows only files from 'self').
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // A module preload polyfill would be an inline script: every supported browser preloads modules natively.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite console` during development: the API and sign-in come from a gateway on :8470.
    proxy: { '/v1': 'http://127.0.0.1:8470', '/auth': 'http://127.0.0.1:8470', '/console/directory': 'http://127.0.0.1:8470' },
  },
})
