import type { ConnectivitySnapshot } from '../../app/services.ts'
import './ConnectivityLine.css'

const KIND_WORDS: Array<[string, string]> = [
  ['host', 'your local network'],
  ['srflx', 'your public address (found through STUN)'],
  ['relay', 'a TURN relay']
]

function plural (n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** Which paths this tab can offer other tabs, and whether direct connections work, in plain words. */
export function ConnectivityLine ({ connectivity, directPeers, onCheck }: { connectivity: ConnectivitySnapshot, directPeers: number, onCheck: () => void }) {
  const kinds = connectivity.candidateKinds
  const { ice } = connectivity
  return (
    <div className="connectivity" role="group" aria-label="Connectivity">
      <p>
        {kinds == null
          ? 'Checking how other tabs can reach this one…'
          : kinds.length === 0
            ? 'This tab found no way for other tabs to reach it.'
            : <>Other tabs can reach this one through {KIND_WORDS.filter(([k]) => kinds.includes(k) || (k === 'srflx' && kinds.includes('prflx'))).map(([, w]) => w).join(', ')}.</>}
        {' '}
        {!ice.hasStun && !ice.hasTurn && 'Your relays offer no STUN or TURN server, so only tabs on your own network can connect to this one.'}
        {ice.hasStun && !ice.hasTurn && 'Your relays offer no TURN server: tabs behind strict NATs can\'t connect to this one.'}
      </p>
      <p data-direct={connectivity.directConnections} data-turn={connectivity.turnConnections}>
        {directPeers === 0
          ? 'No connection to another tab works yet.'
          : <>Connections work: {plural(directPeers, 'tab', 'tabs')} connected
            {connectivity.turnConnections > 0 || connectivity.directConnections > 0
              ? ` (${connectivity.directConnections} direct, ${connectivity.turnConnections} through TURN)`
              : ''}.</>}
      </p>
      <button type="button" className="secondary" onClick={onCheck}>Check again</button>
    </div>
  )
}
