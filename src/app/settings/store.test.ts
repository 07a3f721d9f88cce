import { describe, expect, it } from 'vitest'
import { memorySettingsBackend } from '../../storage/settings.ts'
import { resolveNetworkConfig, type RelayChoices } from '../config.ts'
import { parseNetworkSettings, SettingsStore } from './store.ts'

const BUILT_IN = '/dns4/relay.example/tcp/443/wss/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const MINE = '/dns4/mine.example/tcp/443/wss/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTM'
const EVIL = 'https://their-server.example/'

function setup (search = '', backend = memorySettingsBackend()) {
  const applied: { bootstraps: string[][], relayOnly: boolean[] } = { bootstraps: [], relayOnly: [] }
  let posted = 0
  const store = new SettingsStore({
    backend,
    resolve: (choices: RelayChoices) => resolveNetworkConfig({ search, hostname: 'shallot.example', hash: '' }, BUILT_IN, choices),
    target: { setBootstraps: (l) => { applied.bootstraps.push([...l]) }, setRelayOnly: (on) => { applied.relayOnly.push(on) } },
    channel: { post: () => { posted++ }, listen: () => {} }
  })
  return { store, backend, applied, posted: () => posted }
}

describe('network settings', () => {
  it('first run: defaults, applied (built-in relay, direct connections allowed), nothing stored yet', async () => {
    const s = setup()
    await s.store.load()
    expect(s.store.getSnapshot()).toMatchObject({ loaded: true, saved: false, hideIp: false, relays: [{ address: BUILT_IN, builtIn: true, active: true }] })
    expect(s.applied.bootstraps.at(-1)).toEqual([BUILT_IN])
    expect(s.applied.relayOnly.at(-1)).toBe(false)
  })

  it('"hide my IP" is applied at once, stored, told to the other tabs, and back after a reload', async () => {
    const s = setup()
    await s.store.load()
    await s.store.setHideIp(true)
    expect(s.applied.relayOnly.at(-1)).toBe(true)
    expect(s.posted()).toBe(1)
    const again = setup('', s.backend)
    await again.store.load()
    expect(again.store.getSnapshot().hideIp).toBe(true)
    expect(again.applied.relayOnly.at(-1)).toBe(true)
  })

  it('add, remove, and turn a built-in relay off and on again; never the last one', async () => {
    const s = setup()
    await s.store.load()
    expect(await s.store.addRelay(`  ${MINE} `)).toBe(true)
    expect(s.applied.bootstraps.at(-1)).toEqual([BUILT_IN, MINE])
    await s.store.removeRelay(BUILT_IN)
    expect(s.applied.bootstraps.at(-1)).toEqual([MINE])
    expect(s.store.getSnapshot().relays).toMatchObject([{ address: BUILT_IN, active: false }, { address: MINE, active: true }])
    await s.store.removeRelay(MINE)
    expect(s.store.getSnapshot().notice?.kind).toBe('error')
    expect(s.applied.bootstraps.at(-1)).toEqual([MINE])
    expect(await s.store.restoreRelay(BUILT_IN)).toBe(true)
    expect(s.applied.bootstraps.at(-1)).toEqual([BUILT_IN, MINE])
  })

  it('refuses an address that cannot name a relay, with the reason', async () => {
    const s = setup()
    await s.store.load()
    for (const bad of ['hello', '/ip4/1.2.3.4/tcp/1', '/dns4/x.example/tcp/443/wss', 'https://user:pw@x.example/']) {
      expect(await s.store.addRelay(bad)).toBe(false)
      expect(s.store.getSnapshot().notice).toMatchObject({ kind: 'error' })
    }
    expect(s.applied.bootstraps.at(-1)).toEqual([BUILT_IN])
  })

  it('a relay a link suggests is used only once the person adds it', async () => {
    const s = setup(`?bootstrap=${encodeURIComponent(EVIL)}`)
    await s.store.load()
    expect(s.store.getSnapshot().suggested).toEqual([{ address: EVIL, label: 'their-server.example' }])
    expect(s.applied.bootstraps.flat()).not.toContain(EVIL)
    s.store.dismissSuggested(EVIL)
    expect(s.store.getSnapshot().suggested).toEqual([])
    expect(s.applied.bootstraps.flat()).not.toContain(EVIL)

    const t = setup(`?bootstrap=${encodeURIComponent(EVIL)}`)
    await t.store.load()
    await t.store.acceptSuggested(EVIL)
    expect(t.applied.bootstraps.at(-1)).toEqual([BUILT_IN, EVIL])
  })

  it('a damaged or foreign stored record reads as the defaults, and a failed save changes nothing', async () => {
    expect(parseNetworkSettings({ version: 2 })).toBeNull()
    expect(parseNetworkSettings({ version: 1, hideIp: 'yes', addedRelays: [], removedBuiltIns: [] })).toBeNull()
    const backend = memorySettingsBackend()
    backend.stored.set('network', { version: 1, hideIp: true, addedRelays: 'x', removedBuiltIns: [] })
    const s = setup('', backend)
    await s.store.load()
    expect(s.store.getSnapshot().hideIp).toBe(false)
    backend.save = async () => { throw new Error('quota') }
    await s.store.setHideIp(true)
    expect(s.store.getSnapshot().hideIp).toBe(false)
    expect(s.applied.relayOnly.at(-1)).toBe(false)
    expect(s.store.getSnapshot().notice?.kind).toBe('error')
  })
})
