import type { NetworkSnapshot } from '../app/services.ts'

/**
 * What a screen reader is told about the network: being offline, being cut off
 * from the network, and being back. The phases in between (starting,
 * connecting, a bootstrap relay coming and going) change on every reconnect
 * and keep the last of these three, so nothing is said for them.
 */
export type Reach = 'offline' | 'cut-off' | 'fine'

export function reachOf (snapshot: Pick<NetworkSnapshot, 'phase'>, online: boolean, previous: Reach): Reach {
  if (!online || snapshot.phase === 'offline') return 'offline'
  if (snapshot.phase === 'unreachable' || snapshot.phase === 'isolated') return 'cut-off'
  if (snapshot.phase === 'online') return 'fine'
  return previous
}

export function announcement (from: Reach, to: Reach, snapshot: Pick<NetworkSnapshot, 'phase'>): string {
  if (to === 'offline') return "You're offline."
  if (to === 'cut-off') return snapshot.phase === 'isolated' ? "Can't connect to other peers." : "Can't reach the Shallot network."
  return from === 'offline' ? "You're back online." : 'Connected to the Shallot network again.'
}
