import { useState } from 'react'
import type { NetworkSnapshot } from '../app/services.ts'
import { announcement, reachOf, type Reach } from './network-announcement.ts'
import './NetworkStatus.css'

export interface NetworkStatusProps {
  snapshot: NetworkSnapshot
  online: boolean
  onRetry: () => void
}

function plural (n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** Why no direct connection works, and what would fix it, from what the tab knows. */
function isolatedAdvice (snapshot: NetworkSnapshot): string {
  const { ice } = snapshot.connectivity
  if (ice.relayOnly && !ice.hasTurn) {
    return '"Hide my IP address" is on, but none of your relays offers a TURN server, so no connection can be made. Turn it off in Settings, or add a relay that has TURN.'
  }
  if (!ice.hasStun && !ice.hasTurn) {
    return 'Your relays offer no STUN or TURN server, so this tab can only connect to tabs on your own network. To reach others, use a relay that runs STUN/TURN (Settings → Bootstrap relays), or ask your relay\'s operator to add one.'
  }
  if (!ice.hasTurn) {
    return 'Your network\'s NAT or firewall blocks direct connections, and your relays offer no TURN server to go around it. Try another network (e.g. mobile data), or add a relay that has TURN in Settings.'
  }
  return 'Even connections through TURN fail: a firewall may block WebRTC. Try another network (e.g. mobile data).'
}

/**
 * The one-line answer to "am I connected?", plus the error a person can act on.
 * The line itself is not a live region (it changes on every reconnect); a
 * hidden status beside it says only the changes in {@link Reach}, once each.
 */
export function NetworkStatus ({ snapshot, online, onRetry }: NetworkStatusProps) {
  const [reach, setReach] = useState<Reach>('fine')
  const [said, setSaid] = useState('')
  const next = reachOf(snapshot, online, reach)
  if (next !== reach) {
    // Adjusting state while rendering (React's pattern for "when a value changes"): no extra render pass, no effect.
    setReach(next)
    setSaid(announcement(reach, next, snapshot))
  }
  return (
    <>
      <StatusLine snapshot={snapshot} online={online} onRetry={onRetry} />
      <p className="sr-only" role="status">{said}</p>
    </>
  )
}

function StatusLine ({ snapshot, online, onRetry }: NetworkStatusProps) {
  if (!online || snapshot.phase === 'offline') {
    return (
      <section className="status status-offline" aria-label="Network status">
        <strong>You're offline.</strong> Shallot reconnects by itself when the network is back; messages you write meanwhile are sent then.
      </section>
    )
  }
  if (snapshot.phase === 'unreachable') {
    return (
      <section className="status status-error" aria-label="Network status">
        <h2>Can't reach the Shallot network</h2>
        <p>
          None of the bootstrap relays answered, so this tab can't meet other peers yet.
          Check your internet connection. Shallot keeps trying on its own.
        </p>
        <button type="button" onClick={onRetry}>Try again</button>
      </section>
    )
  }
  if (snapshot.phase === 'isolated') {
    return (
      <section className="status status-error" aria-label="Network status">
        <h2>Can't connect to other peers</h2>
        <p>
          This tab reached a bootstrap relay and knows of {plural(snapshot.knownPeers, 'other tab', 'other tabs')},
          but can't connect to any of them directly: peers outside this network can't be reached.
        </p>
        <p>{isolatedAdvice(snapshot)}</p>
        <button type="button" onClick={onRetry}>Try again</button>
      </section>
    )
  }
  if (snapshot.phase === 'starting' || snapshot.phase === 'connecting') {
    return (
      <section className="status" aria-label="Network status">
        Connecting to the Shallot network…
      </section>
    )
  }
  if (snapshot.phase === 'stopped') {
    return <section className="status" aria-label="Network status">Disconnected.</section>
  }
  return (
    <section className="status status-ok" aria-label="Network status">
      Connected to {plural(snapshot.connectedBootstraps, 'bootstrap relay', 'bootstrap relays')} · {plural(snapshot.directPeers, 'direct peer', 'direct peers')}
      {snapshot.connectedBootstraps === 0 && (
        <span className="status-note"> · bootstrap relay unreachable: your direct peers still work, new peers can't join through it</span>
      )}
      {snapshot.connectedBootstraps > 0 && snapshot.directPeers === 0 && snapshot.knownPeers === 0 && (
        <span className="status-note"> · no one else is on the network yet</span>
      )}
    </section>
  )
}
