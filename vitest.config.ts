import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    // Node 20: dialing WebSockets from Node needs the flag (bootstrap relay tests).
    execArgv: ['--experimental-websocket']
  }
})
