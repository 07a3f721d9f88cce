import { useId, useState, type FormEvent } from 'react'
import type { NetworkSnapshot, SettingsSnapshot } from '../../app/services.ts'
import { ConnectivityLine } from './ConnectivityLine.tsx'
import { HideIpChoice, turnAvailability } from './HideIpChoice.tsx'
import './SettingsPanel.css'

/** What the settings panel can ask of the app (SettingsStore and Network implement it). */
export interface SettingsActions {
  setHideIp(on: boolean): Promise<void>
  addRelay(text: string): Promise<boolean>
  removeRelay(address: string): Promise<void>
  restoreRelay(address: string): Promise<boolean>
  acceptSuggested(address: string): Promise<void>
  dismissSuggested(address: string): void
  dismissNotice(): void
  checkConnectivity(): void
}

export interface SettingsPanelProps {
  settings: SettingsSnapshot
  network: NetworkSnapshot
  actions: SettingsActions
  /** The first-run form offers "hide my IP" right now: not a second copy here. */
  hideIpOfferedElsewhere?: boolean
}

/** Settings: hide my IP, bootstrap relays (built-in ones marked), relays a link suggested, connectivity. */
export function SettingsPanel ({ settings, network, actions, hideIpOfferedElsewhere = false }: SettingsPanelProps) {
  const id = useId()
  const [draft, setDraft] = useState('')
  const onAdd = (e: FormEvent): void => {
    e.preventDefault()
    void actions.addRelay(draft).then((ok) => { if (ok) setDraft('') })
  }
  return (
    <section className="panel settings" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Settings</h2>
      {settings.notice != null && (
        <p role={settings.notice.kind === 'error' ? 'alert' : 'status'} className={`notice notice-${settings.notice.kind}`}>
          {settings.notice.text}{' '}
          <button type="button" className="link" onClick={() => { actions.dismissNotice() }}>Dismiss</button>
        </p>
      )}

      {!hideIpOfferedElsewhere && <HideIpChoice checked={settings.hideIp} turnAvailable={turnAvailability(network)} onChange={(on) => { void actions.setHideIp(on) }} />}

      {settings.suggested.length > 0 && (
        <div className="suggested" role="group" aria-labelledby={`${id}-suggested`}>
          <h3 id={`${id}-suggested`}>Relays suggested by a link</h3>
          <p>
            A link you opened asks this tab to use another bootstrap relay. Relays decide whom your tab meets first, so
            only add one you trust, from someone you trust. Nothing changes unless you add it.
          </p>
          <ul className="plain-list">
            {settings.suggested.map(s => (
              <li key={s.address}>
                <span className="mono">{s.label}</span>{' '}
                <button type="button" onClick={() => { void actions.acceptSuggested(s.address) }}>Add this relay</button>{' '}
                <button type="button" className="secondary" onClick={() => { actions.dismissSuggested(s.address) }}>Ignore</button>
              </li>
            ))}
          </ul>
        </div>
      )}

      <h3 id={`${id}-relays`}>Bootstrap relays in use</h3>
      <p className="muted">They introduce your tab to others and hand it STUN/TURN servers; chat never passes through them.</p>
      {settings.urlControlled && (
        <p className="muted">This page was opened with relays in its address (development on this machine): those are in use, not the list below.</p>
      )}
      <ul className="plain-list" aria-labelledby={`${id}-relays`}>
        {settings.relays.map(r => (
          <li key={r.address} data-relay-active={r.active}>
            <span className="mono">{r.label}</span>
            {r.builtIn && <span className="badge">built in</span>}
            {!r.active && <span className="badge badge-unreachable">turned off</span>}{' '}
            {r.active
              ? <button type="button" className="secondary" onClick={() => { void actions.removeRelay(r.address) }}>Remove {r.label}</button>
              : <button type="button" className="secondary" onClick={() => { void actions.restoreRelay(r.address) }}>Use {r.label} again</button>}
          </li>
        ))}
        {settings.relays.length === 0 && <li>No relay is configured.</li>}
      </ul>
      <form onSubmit={onAdd} className="inline-form">
        <label htmlFor={`${id}-add`}>Add a relay (its https:// address or multiaddr)</label>
        <input id={`${id}-add`} value={draft} onChange={(e) => { setDraft(e.target.value) }} placeholder="https://relay.example.org/info" spellCheck={false} autoComplete="off" />
        <button type="submit" disabled={draft.trim() === ''}>Add relay</button>
      </form>

      <h3>Connectivity</h3>
      <ConnectivityLine connectivity={network.connectivity} directPeers={network.directPeers} onCheck={() => { actions.checkConnectivity() }} />
    </section>
  )
}
