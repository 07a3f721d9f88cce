/**
 * Shared e2e helpers: a bootstrap relay as a child process that a test can stop
 * and restart (same key file, same port → same address), and peers as pages in
 * their own browser contexts (own IndexedDB, own network identity).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test'
// @ts-expect-error plain ESM helper shared with npm start and the benchmarks
import { startRelay } from '../scripts/lib/relay-process.mjs'
import { directPeerRows } from './ui-driver.ts'

export interface RelayHandle {
  multiaddrs: string[]
  httpUrl: string | null
  stop(): Promise<void>
}

export interface RelayController {
  /** The relay's address, stable across restarts. */
  readonly address: string
  start(): Promise<RelayHandle>
  stop(): Promise<void>
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => { resolve(typeof addr === 'object' && addr != null ? addr.port : 0) })
    })
  })
}

export async function createRelayController (): Promise<RelayController & { dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'shallot-relay-'))
  const keyFile = join(dir, 'relay.key')
  const port = await freePort()
  const httpPort = await freePort()
  let handle: RelayHandle | null = null
  let address = ''
  const controller = {
    get address () { return address },
    async start () {
      handle = await startRelay({ port, httpPort, keyFile }) as RelayHandle
      address = handle.multiaddrs[0]!
      return handle
    },
    async stop () {
      await handle?.stop()
      handle = null
    },
    async dispose () {
      await controller.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return controller
}

export interface Peer {
  context: BrowserContext
  page: Page
}

export async function openPeer (browser: Browser, path: string): Promise<Peer> {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(path)
  return { context, page }
}

export function appPath (bootstrap: string | string[], extra = ''): string {
  const list = Array.isArray(bootstrap) ? bootstrap : [bootstrap]
  const params = list.map(b => `bootstrap=${encodeURIComponent(b)}`).join('&')
  return `/?${params}${extra}`
}

/** Number of peers listed as "direct WebRTC" in the Network panel. */
export async function directPeerCount (page: Page): Promise<number> {
  return await directPeerRows(page).count()
}

export const test = base.extend<{ relay: RelayController }>({
  relay: async ({}, use) => {
    const controller = await createRelayController()
    await controller.start()
    await use(controller)
    await controller.dispose()
  }
})

export { expect }
