import { useId, useState } from 'react'
import type { ContactView, IdentitySnapshot, IdentityActions } from '../../app/identity/index.ts'
import { ConfirmButton } from './ConfirmButton.tsx'
import { NoticeLine } from './Notice.tsx'
import { SafetyNumber } from './SafetyNumber.tsx'
import './ContactList.css'

function ContactItem ({ contact, actions, busy }: { contact: ContactView, actions: IdentityActions, busy: boolean }) {
  const id = useId()
  const [open, setOpen] = useState(false)
  // Optimistic: the checkbox follows the click at once, the store catches up.
  const [verifying, setVerifying] = useState<boolean | null>(null)
  return (
    <li className="contact">
      <article aria-labelledby={`${id}-name`}>
        <div className="contact-head">
          <h3 id={`${id}-name`}>{contact.displayName}</h3>
          {contact.state !== 'accepted' && <span className="badge">{contact.state === 'request' ? 'wants to chat' : contact.state}</span>}
          {contact.verified && <span className="badge badge-connected">verified</span>}
          <button type="button" className="secondary" aria-expanded={open} aria-controls={`${id}-details`} onClick={() => { setOpen(!open) }}>
            {open ? 'Hide details' : 'Details'}
            <span className="sr-only"> for {contact.displayName}</span>
          </button>
        </div>
        {open && (
          <div id={`${id}-details`} className="contact-details">
            <SafetyNumber digits={contact.safetyNumber} name={contact.displayName} />
            <label className="check">
              <input
                type="checkbox" checked={verifying ?? contact.verified} disabled={busy && verifying == null}
                onChange={(e) => {
                  const v = e.target.checked
                  setVerifying(v)
                  void actions.setVerified(contact.id, v).finally(() => { setVerifying(null) })
                }}
              />
              Verified: I compared this safety number with {contact.displayName}
            </label>
            <div className="button-row">
              <ConfirmButton
                label="Clear history" disabled={busy}
                question={`Delete every message with ${contact.displayName}? The contact stays.`}
                confirmLabel="Yes, clear history" onConfirm={() => { void actions.clearHistory(contact.id) }}
              />
              <ConfirmButton
                label="Delete conversation" disabled={busy}
                question={`Delete the conversation with ${contact.displayName} and all its messages?`}
                confirmLabel="Yes, delete conversation" onConfirm={() => { void actions.deleteConversation(contact.id) }}
              />
              <ConfirmButton
                label="Remove contact" disabled={busy} className="danger"
                question={`Remove ${contact.displayName} and all messages with them?`}
                confirmLabel="Yes, remove contact" onConfirm={() => { void actions.removeContact(contact.id) }}
              />
            </div>
          </div>
        )}
      </article>
    </li>
  )
}

export function ContactList ({ snapshot, actions }: { snapshot: IdentitySnapshot, actions: IdentityActions }) {
  const id = useId()
  return (
    <section className="panel identity-contacts" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Contacts</h2>
      <NoticeLine snapshot={snapshot} area="contacts" onDismiss={() => { actions.dismissNotice() }} />
      {snapshot.contacts.length === 0
        ? <p className="muted">No contacts yet. Use "Invite someone" and send the link to a person you know.</p>
        : (
          <ul className="plain-list contact-list" aria-label="Contacts">
            {snapshot.contacts.map(c => <ContactItem key={c.id} contact={c} actions={actions} busy={snapshot.busy != null} />)}
          </ul>
          )}
    </section>
  )
}
