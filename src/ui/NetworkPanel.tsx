import { useState } from 'react'
import type { NetworkSnapshot, PeerStatus } from '../app/services.ts'
import './NetworkPanel.css'

export interface NetworkPanelProps {
  snapshot: NetworkSnapshot
  onPing: (peerId: string) => Promise<number>
  onDisconnect: (peerId: string) => void
}

const KIND_LABEL: Record<PeerStatus['kind'], string> = {
  'direct-webrtc': 'direct WebRTC',
  relayed: 'relayed',
  bootstrap: 'bootstrap relay',
  other: 'other'
}

/** How a direct connection travels, in words (connection-path.ts). */
function pathWords (p: PeerStatus): string {
  if (p.kind !== 'direct-webrtc' || p.path == null) return ''
  if (p.path.relayed) return 'through TURN'
  return p.path.local === 'host' && p.path.remote === 'host' ? 'local network' : 'public address'
}

function pathTag (p: PeerStatus): string {
  if (p.path == null) return ''
  return p.path.relayed ? 'turn' : p.path.local === 'host' && p.path.remote === 'host' ? 'local' : 'public'
}

function formatRtt (ms: number | null): string {
  if (ms == null) return '—'
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`
}

/** Every connection this tab holds, in words: who (short id), how, and how far. */
export function NetworkPanel ({ snapshot, onPing, onDisconnect }: NetworkPanelProps) {
  const [pingErrors, setPingErrors] = useState<Record<string, string>>({})
  const ping = (id: string) => {
    onPing(id).then(
      () => { setPingErrors(e => ({ ...e, [id]: '' })) },
      () => { setPingErrors(e => ({ ...e, [id]: 'no answer' })) }
    )
  }
  return (
    <section className="panel" aria-labelledby="network-heading">
      <h2 id="network-heading">Network</h2>
      <p className="muted">
        This tab is peer {snapshot.selfShortId ?? '…'}, a fresh network
        identity made for this tab only and never linked to you.
      </p>
      <h3>Bootstrap relays</h3>
      <p className="muted">They only introduce tabs to each other; chat never passes through them.</p>
      <ul aria-label="Bootstrap relays" className="plain-list">
        {snapshot.bootstraps.length === 0 && <li>No bootstrap relay is configured.</li>}
        {snapshot.bootstraps.map((b, i) => (
          <li key={i} aria-label={`Bootstrap relay ${b.label}: ${b.state}`}>
            <span className="mono">{b.label}</span> <span className={`badge badge-${b.state}`}>{b.state}</span>
          </li>
        ))}
      </ul>
      <h3>Peers</h3>
      {snapshot.peers.length === 0
        ? <p>No peers yet.</p>
        : (
          <table aria-label="Connected peers">
            <thead>
              <tr><th scope="col">Peer</th><th scope="col">Connection</th><th scope="col">Round trip</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {snapshot.peers.map(p => (
                <tr key={p.id} data-peer-kind={p.kind} data-pings={p.pings} data-opened-at={p.openedAt} data-path={pathTag(p)}>
                  <td className="mono">{p.shortId}</td>
                  <td>{KIND_LABEL[p.kind]}{pathWords(p) !== '' && <span className="muted"> · {pathWords(p)}</span>}</td>
                  {/* Named by its column header: a label of its own would stand in for the value it shows. */}
                  <td>
                    {p.pingFailed || pingErrors[p.id] ? 'no answer' : formatRtt(p.rttMs)}
                  </td>
                  <td className="actions">
                    {p.kind === 'direct-webrtc' && (
                      <button type="button" onClick={() => { ping(p.id) }} aria-label={`Ping ${p.shortId}`}>Ping</button>
                    )}
                    <button type="button" className="secondary" onClick={() => { onDisconnect(p.id) }} aria-label={`Disconnect ${p.shortId}`}>Disconnect</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          )}
    </section>
  )
}
