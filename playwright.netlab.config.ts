import { defineConfig } from '@playwright/test'

/**
 * Network-lab e2e tests (e2e-net/): real Chromium, coturn, Caddy and the
 * bootstrap relay in Linux network namespaces, with home routers doing NAT
 * (scripts/netlab/). Needs root: `sudo npx playwright test -c playwright.netlab.config.ts`.
 *
 * No webServer: the lab serves the app itself, through Caddy, inside its
 * server namespace (e2e-net/lab-fixtures.ts sets it all up once per worker).
 * One worker: one lab at a time (fixed addresses, ~10 Chromium pages at most).
 */
export default defineConfig({
  testDir: 'e2e-net',
  timeout: 240_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  outputDir: 'test-results/netlab',
  use: {
    browserName: 'chromium',
    headless: true,
    trace: 'off',
    screenshot: 'off'
  }
})
