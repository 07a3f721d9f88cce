import { useEffect, type ReactNode } from 'react'
import type { IdentityActions, IdentitySnapshot } from '../../app/identity/index.ts'
import { ContactList } from './ContactList.tsx'
import { FirstRun } from './FirstRun.tsx'
import { IncomingInvite } from './IncomingInvite.tsx'
import { YouSection } from './YouSection.tsx'
import './identity.css'

/**
 * Everything identity-related: first run (create / restore), the "You"
 * section, contacts, and an invite link the page was opened with; once there
 * is an identity, `conversations` (the chat) right after that invite.
 * Renders the identity snapshot and calls the actions, as the chat UI does.
 */
export function IdentityArea ({ snapshot, actions, conversations, firstRunExtra }: {
  snapshot: IdentitySnapshot
  actions: IdentityActions
  conversations?: ReactNode
  firstRunExtra?: ReactNode
}) {
  // An invite in the fragment: hand it to the app, then clear it from the address bar.
  useEffect(() => {
    const handle = (): void => {
      if (actions.receiveInvite(window.location.hash)) {
        window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search)
      }
    }
    handle()
    window.addEventListener('hashchange', handle)
    return () => { window.removeEventListener('hashchange', handle) }
  }, [actions])

  return (
    <div className="identity-area">
      <IncomingInvite snapshot={snapshot} actions={actions} />
      {snapshot.phase === 'loading' && <section className="panel" aria-label="Identity"><p role="status">Opening your identity…</p></section>}
      {snapshot.phase === 'open-elsewhere' && (
        <section className="panel" aria-label="Identity">
          <p role="status">Your Shallot identity is open in another tab. This tab takes it over when that tab closes.</p>
          <button type="button" onClick={() => { void actions.useHere() }}>Use here instead</button>
        </section>
      )}
      {snapshot.phase === 'failed' && (
        <section className="panel" aria-label="Identity">
          <p role="alert">{snapshot.notice?.text ?? 'Your identity could not be opened.'}</p>
        </section>
      )}
      {snapshot.phase === 'first-run' && <FirstRun snapshot={snapshot} actions={actions} extra={firstRunExtra} />}
      {snapshot.phase === 'ready' && snapshot.self != null && (
        <>
          {conversations}
          <YouSection self={snapshot.self} snapshot={snapshot} actions={actions} />
          <ContactList snapshot={snapshot} actions={actions} />
        </>
      )}
    </div>
  )
}
