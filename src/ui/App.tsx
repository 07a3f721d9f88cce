import { useSyncExternalStore } from 'react'
import { getNetwork, getOnion, getSettings } from '../app/services.ts'
import { getChatService } from '../app/chat/index.ts'
import { getIdentityStore } from '../app/identity/index.ts'
import { ChatArea } from './chat/index.ts'
import { IdentityArea } from './identity/index.ts'
import { HideIpChoice, SettingsPanel, turnAvailability, type SettingsActions } from './settings/index.ts'
import { CircuitPanel } from './CircuitPanel.tsx'
import { NetworkPanel } from './NetworkPanel.tsx'
import { NetworkStatus } from './NetworkStatus.tsx'
import { UpdatePrompt } from './UpdatePrompt.tsx'
import { useOnline } from './useOnline.ts'
import './App.css'

export function App () {
  const network = getNetwork()
  const snapshot = useSyncExternalStore(network.subscribe, network.getSnapshot)
  const settings = getSettings()
  const settingsSnapshot = useSyncExternalStore(settings.subscribe, settings.getSnapshot)
  const onion = getOnion()
  const circuits = useSyncExternalStore(onion.subscribe, onion.getSnapshot)
  const online = useOnline()
  const identity = getIdentityStore()
  const identitySnapshot = useSyncExternalStore(identity.subscribe, identity.getSnapshot)
  const chat = getChatService()
  const chatSnapshot = useSyncExternalStore(chat.subscribe, chat.getSnapshot)
  const settingsActions: SettingsActions = {
    setHideIp: async (on) => { await settings.setHideIp(on) },
    addRelay: async (text) => await settings.addRelay(text),
    removeRelay: async (address) => { await settings.removeRelay(address) },
    restoreRelay: async (address) => await settings.restoreRelay(address),
    acceptSuggested: async (address) => { await settings.acceptSuggested(address) },
    dismissSuggested: (address) => { settings.dismissSuggested(address) },
    dismissNotice: () => { settings.dismissNotice() },
    checkConnectivity: () => { void network.probe() }
  }
  return (
    <div className="app">
      <header className="app-header">
        <h1>Shallot</h1>
        <NetworkStatus snapshot={snapshot} online={online} onRetry={() => { network.retryNow() }} />
        {settingsSnapshot.suggested.length > 0 && (
          <p className="status status-note" role="status">A link you opened suggests another bootstrap relay. It is not used unless you add it in Settings.</p>
        )}
      </header>
      <main>
        {/* Conversations first, as in any messenger (after an invite being opened). */}
        <IdentityArea
          snapshot={identitySnapshot} actions={identity}
          conversations={<ChatArea snapshot={chatSnapshot} actions={chat} />}
          firstRunExtra={<HideIpChoice checked={settingsSnapshot.hideIp} turnAvailable={turnAvailability(snapshot)} onChange={(on) => { void settings.setHideIp(on) }} />}
        />
        <CircuitPanel state={circuits} onTest={() => { void onion.testCircuit() }} />
        <SettingsPanel settings={settingsSnapshot} network={snapshot} actions={settingsActions} hideIpOfferedElsewhere={identitySnapshot.phase === 'first-run'} />
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
