import type { CircuitViewState } from '../app/services.ts'
import { RelayWorkStatus } from './RelayWorkStatus.tsx'
import './circuit-path.css'

export interface CircuitPanelProps {
  state: CircuitViewState
  onTest: () => void
}

const HOP_STATE_LABEL = { waiting: 'waiting', extending: 'connecting…', open: 'ready', failed: 'failed' } as const

/**
 * A test circuit drawn the way Tor Browser does: this tab, then each relay
 * (short id) with its build progress, then the endpoint; and how many
 * circuits of other people this tab is relaying right now.
 */
export function CircuitPanel ({ state, onTest }: CircuitPanelProps) {
  const { test } = state
  return (
    <section className="panel" aria-labelledby="circuit-heading">
      <h2 id="circuit-heading">Onion circuits</h2>
      <p data-testid="relaying-for-others">
        This tab is relaying {state.relaying} {state.relaying === 1 ? 'circuit' : 'circuits'} for other people
        and knows {state.knownRelays} {state.knownRelays === 1 ? 'relay' : 'relays'}.
      </p>
      <RelayWorkStatus view={state.relayWork} />
      <button type="button" onClick={onTest} disabled={test?.phase === 'building' || test?.phase === 'measuring'}>
        Test circuit
      </button>
      {test != null && (
        <>
          <ol className="circuit-path" aria-label="Test circuit path">
            <li className="hop hop-open">This tab</li>
            {test.hops.map((h, i) => (
              <li key={i} className={`hop hop-${h.state}`} aria-label={`Relay ${i + 1}: ${h.shortId ?? 'choosing'}, ${HOP_STATE_LABEL[h.state]}`}>
                <span className="mono">{h.shortId ?? '…'}</span> <span className="muted">{HOP_STATE_LABEL[h.state]}</span>
              </li>
            ))}
            <li className={`hop ${test.phase === 'done' ? 'hop-open' : 'hop-waiting'}`}>Echo at the last relay</li>
          </ol>
          <p role="status" aria-label="Test circuit result">
            {test.phase === 'building' && 'Building the circuit…'}
            {test.phase === 'measuring' && 'Circuit built, measuring the round trip…'}
            {test.phase === 'done' && `Circuit works: built in ${Math.round(test.buildMs ?? 0)} ms, echo round trip ${test.rttMs?.toFixed(1)} ms.`}
            {test.phase === 'failed' && `The test circuit failed: ${test.error ?? 'unknown error'}. Try again to build one through other relays.`}
          </p>
        </>
      )}
    </section>
  )
}
