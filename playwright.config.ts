import { existsSync } from 'node:fs'
import { defineConfig } from '@playwright/test'

/**
 * e2e tests drive real Chromium pages running the test build of the app
 * (`npm run build:test` → dist-test/: the app plus test hooks and harness.html,
 * served by `vite preview`). Debian's chromium is used when present (this
 * machine cannot download Playwright's browsers); elsewhere Playwright's own.
 */
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => existsSync(p))
export const APP_PORT = Number(process.env.SHALLOT_E2E_PORT ?? 4173)

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // background pages must keep relaying
  '--disable-renderer-backgrounding', '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows'
]

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${APP_PORT}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      ...(SYSTEM_CHROMIUM != null ? { executablePath: SYSTEM_CHROMIUM } : {}),
      args: CHROMIUM_ARGS
    },
    trace: 'off',
    screenshot: 'only-on-failure'
  },
  webServer: {
    command: `npx vite preview --outDir dist-test --port ${APP_PORT} --strictPort`,
    url: `http://127.0.0.1:${APP_PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000
  }
})
