import { useSyncExternalStore } from 'react'
import { configuredBootstraps, getNetwork, getOnion } from '../app/network.ts'
import { getChatService } from '../app/chat/index.ts'
import { ChatArea } from './chat/index.ts'
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
  const chat = getChatService()
  const chatSnapshot = useSyncExternalStore(chat.subscribe, chat.getSnapshot)
  return (
    <div className="app">
      <header className="app-header">
        <h1>Shallot</h1>
        <NetworkStatus snapshot={snapshot} online={online} onRetry={() => { network.retryNow() }} />
      </header>
      <main>
        {/* Conversations first, as in any messenger (after an invite being opened). */}
        <IdentityArea bootstrapAddrs={configuredBootstraps()} conversations={<ChatArea snapshot={chatSnapshot} actions={chat} />} />
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
