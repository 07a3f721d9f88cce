import type { NetworkSnapshot } from '../app/network.ts'

export interface NetworkStatusProps {
  snapshot: NetworkSnapshot
  online: boolean
  onRetry: () => void
}

function plural (n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** The one-line answer to "am I connected?", plus the error a person can act on. */
export function NetworkStatus ({ snapshot, online, onRetry }: NetworkStatusProps) {
  if (!online) {
    return (
      <section className="status status-offline" role="status" aria-label="Network status">
        <strong>You're offline.</strong> Shallot reconnects by itself when your device is back online.
      </section>
    )
  }
  if (snapshot.phase === 'unreachable' || (snapshot.phase === 'offline' && snapshot.directPeers === 0)) {
    return (
      <section className="status status-error" role="alert" aria-label="Network status">
        <h2>Can't reach the Shallot network</h2>
        <p>
          None of the bootstrap relays answered, so this tab can't meet other peers yet.
          Check your internet connection. Shallot keeps trying on its own.
        </p>
        <button type="button" onClick={onRetry}>Try again</button>
      </section>
    )
  }
  if (snapshot.phase === 'starting' || snapshot.phase === 'connecting') {
    return (
      <section className="status" role="status" aria-label="Network status">
        Connecting to the Shallot network…
      </section>
    )
  }
  if (snapshot.phase === 'stopped') {
    return <section className="status" role="status" aria-label="Network status">Disconnected.</section>
  }
  return (
    <section className="status status-ok" role="status" aria-label="Network status">
      Connected to {plural(snapshot.connectedBootstraps, 'bootstrap relay', 'bootstrap relays')} · {plural(snapshot.directPeers, 'direct peer', 'direct peers')}
      {snapshot.connectedBootstraps === 0 && (
        <span className="status-note"> · bootstrap relay unreachable: your direct peers still work, new peers can't join through it</span>
      )}
    </section>
  )
}
