import { defineConfig, type Plugin } from 'vite'
import react from '@vitejs/plugin-react'
import { VitePWA } from 'vite-plugin-pwa'

/**
 * Content-Security-Policy for the built app (the dev server needs inline
 * scripts for hot reload, so the policy is added at build time only).
 * connect-src allows ws/wss (bootstrap relays) and http(s) (a relay's info
 * endpoint); WebRTC is not governed by CSP. No inline script, no eval, no
 * plugins, no framing of other origins' content.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss: http: https:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'"
].join('; ')

function contentSecurityPolicy (): Plugin {
  return {
    name: 'shallot-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }]
    }
  }
}

/**
 * The mode of test builds (`npm run build:test`: vite build --mode testing
 * --outDir dist-test), which e2e tests and the bench serve. Only they have the
 * test hooks (import.meta.env.SHALLOT_TEST_HOOKS; src/app/testing/) and the
 * harness page (harness.html: a peer without UI). The release build
 * (`npm run build` → dist/, what deploy/ serves) has neither;
 * scripts/check-bundle.mjs fails if it does.
 */
export const TEST_MODE = 'testing'

export default defineConfig(({ mode }) => ({
  define: { 'import.meta.env.SHALLOT_TEST_HOOKS': JSON.stringify(mode === TEST_MODE) },
  plugins: [
    react(),
    contentSecurityPolicy(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['favicon.ico', 'icon.svg', 'apple-touch-icon-180x180.png'],
      manifest: {
        name: 'Shallot',
        short_name: 'Shallot',
        description: 'Anonymous chat that runs entirely in your browser.',
        theme_color: '#7a3e8e',
        background_color: '#fbfaf7',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        icons: [
          { src: 'pwa-64x64.png', sizes: '64x64', type: 'image/png' },
          { src: 'pwa-192x192.png', sizes: '192x192', type: 'image/png' },
          { src: 'pwa-512x512.png', sizes: '512x512', type: 'image/png' },
          { src: 'maskable-icon-512x512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' }
        ]
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,ico,webmanifest}'],
        // The test harness page is not part of the app shell.
        globIgnores: ['harness.html', 'assets/harness-*'],
        navigateFallback: 'index.html',
        cleanupOutdatedCaches: true
      }
    })
  ],
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
    // harness.html: a peer without UI for e2e tests and `npm run bench` (test builds only).
    rollupOptions: { input: { main: 'index.html', ...(mode === TEST_MODE ? { harness: 'harness.html' } : {}) } }
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' }
}))
