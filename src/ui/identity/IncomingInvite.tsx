import { useId } from 'react'
import type { IdentitySnapshot, IdentityActions } from '../../app/identity/index.ts'
import { SafetyNumber } from './SafetyNumber.tsx'
import './IncomingInvite.css'

/** An invite link this tab was opened with: who sent it, the safety number, Add contact. */
export function IncomingInvite ({ snapshot, actions }: { snapshot: IdentitySnapshot, actions: IdentityActions }) {
  const id = useId()
  const inv = snapshot.incoming
  if (inv == null) return null
  if (inv.status === 'refused') {
    return (
      <section className="panel invite-incoming invite-refused" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>Invite link refused</h2>
        <p role="alert">{inv.message} Nothing was changed.</p>
        <button type="button" onClick={() => { actions.dismissInvite() }}>Dismiss</button>
      </section>
    )
  }
  return (
    <section className="panel invite-incoming" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Invitation from <span data-testid="inviter-name">{inv.inviterName}</span></h2>
      {inv.blocker === 'own-invite' && <p role="status">This is your own invite link.</p>}
      {inv.blocker === 'already-contact' && <p role="status">{inv.inviterName} is already in your contacts.</p>}
      {inv.blocker === 'no-identity' && <p role="status">Create or restore your identity below to add {inv.inviterName}.</p>}
      {inv.safetyNumber != null && <SafetyNumber digits={inv.safetyNumber} name={inv.inviterName} />}
      <p className="muted">The link is valid until {new Date(inv.expiresAt).toLocaleString()}.</p>
      <div className="button-row">
        {inv.blocker == null && (
          <button type="button" disabled={snapshot.busy != null} onClick={() => { void actions.acceptInvite() }}>Add contact</button>
        )}
        <button type="button" className="secondary" onClick={() => { actions.dismissInvite() }}>
          {inv.blocker == null ? 'Not now' : 'Dismiss'}
        </button>
      </div>
    </section>
  )
}
