/**
 * The app's one network instance, created from the page's configuration and
 * started once. The UI reads it through `useSyncExternalStore`.
 */
import { Network } from '../net/network.ts'
import { resolveNetworkConfig } from './config.ts'
import { OnionService } from './onion.ts'

export type { NetworkSnapshot, PeerStatus, BootstrapStatus } from '../net/network.ts'
export type { CircuitViewState, TestCircuitState } from './onion.ts'

let instance: Network | null = null

export function getNetwork (): Network {
  if (instance == null) {
    const config = resolveNetworkConfig(window.location, import.meta.env.VITE_BOOTSTRAP as string | undefined)
    instance = new Network(config)
    void instance.start().catch((err: unknown) => {
      // Starting fails only on a broken browser (no WebRTC, no crypto); keep the
      // UI up and say so instead of a blank page.
      console.error('network start failed:', (err as Error).name)
    })
    window.addEventListener('pagehide', () => { void instance?.stop() })
  }
  return instance
}

export function configuredBootstraps (): string[] {
  return resolveNetworkConfig(window.location, import.meta.env.VITE_BOOTSTRAP as string | undefined).bootstraps
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
