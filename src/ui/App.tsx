import { useSyncExternalStore } from 'react'
import { configuredBootstraps, getNetwork, getOnion } from '../app/network.ts'
import { IdentityArea } from './identity/index.ts'
import { CircuitPanel } from './CircuitPanel.tsx'
import { NetworkPanel } from './NetworkPanel.tsx'
import { NetworkStatus } from './NetworkStatus.tsx'
import { UpdatePrompt } from './UpdatePrompt.tsx'
import { useOnline } from './useOnline.ts'

export function App () {
  const network = getNetwork()
  const snapshot = useSyncExternalStore(network.subscribe, network.getSnapshot)
  const onion = getOnion()
  const circuits = useSyncExternalStore(onion.subscribe, onion.getSnapshot)
  const online = useOnline()
  return (
    <div className="app">
      <header className="app-header">
        <h1>Shallot</h1>
        <NetworkStatus snapshot={snapshot} online={online} onRetry={() => { network.retryNow() }} />
      </header>
      <main>
        <section className="panel" aria-label="About this build">
          <p>
            This tab is a peer of the Shallot network: it connects directly to other tabs over WebRTC
            and relays onion-encrypted circuits for them. Chat is not built yet, so no messages can be
            sent from this version; "Test circuit" shows a circuit working.
          </p>
        </section>
        <IdentityArea bootstrapAddrs={configuredBootstraps()} />
        <CircuitPanel state={circuits} onTest={() => { void onion.testCircuit() }} />
        <NetworkPanel
          snapshot={snapshot}
          onPing={async (id) => await network.pingPeer(id)}
          onDisconnect={(id) => { void network.disconnectPeer(id) }}
        />
      </main>
      <UpdatePrompt />
    </div>
  )
}
