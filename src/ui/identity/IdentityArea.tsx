import { useEffect, useSyncExternalStore, type ReactNode } from 'react'
import { getIdentityStore } from '../../app/identity/index.ts'
import { ContactList } from './ContactList.tsx'
import { FirstRun } from './FirstRun.tsx'
import { IncomingInvite } from './IncomingInvite.tsx'
import { YouSection } from './YouSection.tsx'
import './identity.css'

/**
 * Everything identity-related: first run (create / restore), the "You"
 * section, contacts, and an invite link the page was opened with; once there
 * is an identity, `conversations` (the chat) right after that invite.
 */
export function IdentityArea ({ conversations, firstRunExtra }: { conversations?: ReactNode, firstRunExtra?: ReactNode }) {
  const store = getIdentityStore()
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot)

  // An invite in the fragment: hand it to the store, then clear it from the address bar.
  useEffect(() => {
    const handle = (): void => {
      if (store.receiveInvite(window.location.hash)) {
        window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search)
      }
    }
    handle()
    window.addEventListener('hashchange', handle)
    return () => { window.removeEventListener('hashchange', handle) }
  }, [store])

  return (
    <div className="identity-area">
      <IncomingInvite snapshot={snapshot} store={store} />
      {snapshot.phase === 'loading' && <section className="panel" aria-label="Identity"><p role="status">Opening your identity…</p></section>}
      {snapshot.phase === 'open-elsewhere' && (
        <section className="panel" aria-label="Identity">
          <p role="status">Your Shallot identity is open in another tab. This tab takes it over when that tab closes.</p>
          <button type="button" onClick={() => { void store.useHere() }}>Use here instead</button>
        </section>
      )}
      {snapshot.phase === 'failed' && (
        <section className="panel" aria-label="Identity">
          <p role="alert">{snapshot.notice?.text ?? 'Your identity could not be opened.'}</p>
        </section>
      )}
      {snapshot.phase === 'first-run' && <FirstRun snapshot={snapshot} store={store} extra={firstRunExtra} />}
      {snapshot.phase === 'ready' && snapshot.self != null && (
        <>
          {conversations}
          <YouSection self={snapshot.self} snapshot={snapshot} store={store} />
          <ContactList snapshot={snapshot} store={store} />
        </>
      )}
    </div>
  )
}
