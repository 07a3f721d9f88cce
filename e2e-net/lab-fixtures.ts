/**
 * Playwright fixtures for the network lab: one lab per worker (namespaces,
 * home NATs, coturn, the relay, Caddy serving the app), and browsers that run
 * inside a chosen home.
 *
 *   import { test, expect } from './lab-fixtures'
 *   test('…', async ({ netlab }) => {
 *     const browser = await netlab.launchIn('h1')   // Chromium behind h1's router
 *     const page = await (await browser.newContext()).newPage()
 *     await page.goto(netlab.appUrl)                // https://app.shallot.test/ via Caddy
 *   })
 *
 * The app is built once, with VITE_BOOTSTRAP pointing at the relay's info
 * endpoint through Caddy, into the lab's temp dir; set SHALLOT_NETLAB_DIST to
 * a directory already built that way to skip the build. Worker option
 * `turnTtl` sets the relay's --turn-ttl (e.g. `test.use({ turnTtl: 20 })` to
 * watch credential renewal). Everything is torn down at the end, on failure too.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test as base, chromium, type Browser } from '@playwright/test'
import { CHROMIUM_ARGS } from '../playwright.config'
// @ts-expect-error plain ESM module (scripts/netlab), typed by the interfaces below
import { createLab, ensurePrerequisites, sweepStale } from '../scripts/netlab/lab.mjs'
// @ts-expect-error plain ESM module (scripts/netlab), typed by the interfaces below
import { labChromiumArgs, startServerStack, startRelayInLab, ICE_URLS } from '../scripts/netlab/services.mjs'
// @ts-expect-error plain ESM module (scripts/netlab)
import { buildLabApp } from '../scripts/netlab/build-app.mjs'

export { expect } from '@playwright/test'

export type NatKind = 'cone' | 'symmetric'

export interface LabHome {
  ns: string
  routerNs: string
  lanIp: string
  wanIp: string
  /** the router's LAN address */
  gateway: string
  nat: NatKind
}

export interface RunResult { code: number | null, stdout: string, stderr: string }

/** The parts of scripts/netlab/lab.mjs's lab the tests use. */
export interface Lab {
  prefix: string
  tmpDir: string
  server: { ns: string, ip: string }
  homes: Record<string, LabHome>
  run(ns: string, argv: string[], opts?: { input?: string, timeoutMs?: number, cwd?: string, env?: NodeJS.ProcessEnv }): Promise<RunResult>
  chromiumWrapper(ns: string): string
  cutUplink(home: string): void
  restoreUplink(home: string): void
  describe(): string
  destroy(): Promise<void>
}

export interface IceServerOptions { ttlSeconds?: number, stun?: boolean, turn?: boolean }

export interface NetLab {
  lab: Lab
  /** https://app.shallot.test/ (Caddy, internal CA) */
  appUrl: string
  /** https://relay.shallot.test/info */
  relayInfoUrl: string
  /** the relay's multiaddrs (wss through Caddy) */
  relay: { multiaddrs: string[] }
  /** file holding coturn's secret (0600), for starting more relays */
  turnSecretFile: string
  /** coturn as RTCIceServers, with fresh REST credentials */
  iceServers(opts?: IceServerOptions): RTCIceServer[]
  /** a Chromium running inside a home's namespace (closed at the end of the worker) */
  launchIn(home: string): Promise<Browser>
  /**
   * Stop the relay and start it again (same key, same address), handing out
   * ICE servers or not: a test of "no STUN/TURN configured" turns them off and
   * must turn them on again when done.
   */
  restartRelay(opts: { ice: boolean }): Promise<void>
}

/** The lab's homes: two cone NATs and a symmetric one (the three), and a fourth cone home for tests that need a tab alone behind its router. */
export const LAB_HOMES = [
  { name: 'h1', nat: 'cone' },
  { name: 'h2', nat: 'cone' },
  { name: 'h3', nat: 'symmetric' },
  { name: 'h4', nat: 'cone' }
] as const

export const test = base.extend<object, { turnTtl: number, netlab: NetLab }>({
  // Short, so credentials expire and are renewed many times during the suite (and under live TURN connections).
  turnTtl: [30, { scope: 'worker', option: true }],

  netlab: [async ({ turnTtl }, use) => {
    ensurePrerequisites()
    sweepStale()
    const lab = createLab({ homes: LAB_HOMES }) as Lab
    const browsers: Browser[] = []
    try {
      let appRoot = process.env.SHALLOT_NETLAB_DIST
      if (appRoot == null || appRoot === '') {
        appRoot = join(lab.tmpDir, 'dist')
        await (buildLabApp as (dir: string) => Promise<void>)(appRoot)
      } else if (!existsSync(join(appRoot, 'index.html'))) {
        throw new Error(`SHALLOT_NETLAB_DIST=${appRoot} holds no built app (index.html)`)
      }
      const stack = await startServerStack(lab, { appRoot, turnTtl }) as Omit<NetLab, 'lab' | 'launchIn' | 'restartRelay'> & { relay: { multiaddrs: string[], stop(): Promise<void> } }
      let relay = stack.relay
      await use({
        lab,
        appUrl: stack.appUrl,
        relayInfoUrl: stack.relayInfoUrl,
        get relay () { return relay },
        turnSecretFile: stack.turnSecretFile,
        iceServers: (opts) => stack.iceServers(opts),
        async launchIn (home) {
          const h = lab.homes[home]
          if (h == null) throw new Error(`no home "${home}" in the lab (${Object.keys(lab.homes).join(', ')})`)
          const browser = await chromium.launch({
            executablePath: lab.chromiumWrapper(h.ns),
            headless: true,
            args: [...CHROMIUM_ARGS, ...(labChromiumArgs as string[])]
          })
          browsers.push(browser)
          return browser
        },
        async restartRelay ({ ice }) {
          await relay.stop()
          relay = await startRelayInLab(lab, { iceUrls: ice ? ICE_URLS : null, turnSecretFile: stack.turnSecretFile, turnTtl })
        }
      })
    } finally {
      await Promise.allSettled(browsers.map(async b => { await b.close() }))
      await lab.destroy()
    }
  }, { scope: 'worker', timeout: 180_000 }]
})
