/**
 * The app's services, one of each per tab: the network instance and its
 * settings, created from the page's configuration and started once the stored
 * settings are applied (so a tab that hides its IP never makes a direct
 * connection first), and the onion layer on top. The UI reads them through
 * `useSyncExternalStore`. (Not src/net/network.ts: that is the Network class
 * these are made of.)
 */
import { Network } from '../net/network.ts'
import { idbSettingsBackend } from '../storage/settings.ts'
import { resolveNetworkConfig, type RelayChoices } from './config.ts'
import { OnionService } from './onion/index.ts'
import { SettingsStore } from './settings/store.ts'

export type { NetworkSnapshot, PeerStatus, BootstrapStatus, ConnectivitySnapshot } from '../net/network.ts'
export type { CircuitViewState, TestCircuitState } from './onion/index.ts'
export type { SettingsSnapshot, RelayRow } from './settings/store.ts'

let instance: Network | null = null
let settings: SettingsStore | null = null

const buildBootstraps = (): string | undefined => import.meta.env.VITE_BOOTSTRAP as string | undefined
/** The address the page was opened with (the query leaves the address bar once read). */
let opened: Pick<Location, 'search' | 'hostname' | 'hash'> | null = null
const resolve = (choices?: RelayChoices) => {
  opened ??= { search: window.location.search, hostname: window.location.hostname, hash: window.location.hash }
  return resolveNetworkConfig(opened, buildBootstraps(), choices)
}

/** Settings changes reach every tab of this browser profile. */
function settingsChannel (): { post(): void, listen(onChange: () => void): void } | undefined {
  if (typeof BroadcastChannel === 'undefined') return undefined
  const channel = new BroadcastChannel('shallot-settings')
  return {
    post: () => { channel.postMessage('changed') },
    listen: (onChange) => { channel.onmessage = () => { onChange() } }
  }
}

export function getNetwork (): Network {
  if (instance == null) {
    const first = resolve()
    const network = new Network(first.config)
    instance = network
    // Network parameters a link carried and that were not taken leave the address bar (the invite fragment stays).
    if (first.dropQuery) window.history.replaceState(window.history.state, '', window.location.pathname + window.location.hash)
    settings = new SettingsStore({ backend: idbSettingsBackend(), resolve, target: network, channel: settingsChannel() })
    void settings.load()
      .then(async () => { await network.start() })
      .catch((err: unknown) => {
        // Starting fails only on a broken browser (no WebRTC, no crypto); keep the
        // UI up and say so instead of a blank page.
        console.error('network start failed:', (err as Error).name)
      })
    window.addEventListener('pagehide', () => { void instance?.stop() })
  }
  return instance
}

export function getSettings (): SettingsStore {
  getNetwork()
  return settings!
}

let onion: OnionService | null = null

/** The app's onion layer on top of its network (started with it). */
export function getOnion (): OnionService {
  if (onion == null) {
    onion = new OnionService(getNetwork())
    void onion.start().catch((err: unknown) => { console.error('onion layer start failed:', (err as Error).name) })
    window.addEventListener('pagehide', () => { void onion?.stop() })
  }
  return onion
}
