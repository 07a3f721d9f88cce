import { useState } from 'react'
import type { ContactStanding } from '../../app/chat/types.ts'
import './RequestBanner.css'

/**
 * Where the relationship stands, when it is not simply accepted: a request to
 * answer (Accept / Decline), our own request still pending, or declined.
 */
export function RequestBanner ({ name, standing, onAccept, onDecline, onShowSafetyNumber }: {
  name: string
  standing: ContactStanding
  onAccept: () => Promise<void>
  onDecline: () => Promise<void>
  onShowSafetyNumber: () => void
}) {
  const [busy, setBusy] = useState(false)
  if (standing === 'accepted') return null
  if (standing === 'pending') return <p className="chat-standing muted">Waiting for {name} to accept your request.</p>
  if (standing === 'declined') return <p className="chat-standing chat-standing-declined">{name} declined your request.</p>
  const run = (action: () => Promise<void>): void => {
    setBusy(true)
    void action().catch(() => {}).finally(() => { setBusy(false) })
  }
  return (
    <div className="chat-request" role="region" aria-label={`Chat request from ${name}`}>
      <p className="chat-request-title">{name} wants to chat with you.</p>
      <p className="muted">
        Nothing they write reaches you until you accept: until then your tab does not connect to them, so they learn nothing about where you are. To be sure it is really {name}, compare your safety number with them first.
      </p>
      <div className="button-row">
        <button type="button" disabled={busy} onClick={() => { run(onAccept) }}>Accept</button>
        <button type="button" className="danger" disabled={busy} onClick={() => { run(onDecline) }}>Decline</button>
        <button type="button" className="secondary" onClick={onShowSafetyNumber}>Compare safety number</button>
      </div>
    </div>
  )
}
