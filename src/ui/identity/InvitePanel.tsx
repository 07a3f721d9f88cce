import { useId, useState } from 'react'
import type { OutgoingInvite } from '../../app/identity/index.ts'
import { QrCode } from './QrCode.tsx'
import './InvitePanel.css'

/** The invite link just made: text, copy, share (when the browser can), QR code. */
export function InvitePanel ({ invite, onClose }: { invite: OutgoingInvite, onClose: () => void }) {
  const id = useId()
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null)
  const canShare = typeof navigator !== 'undefined' && typeof navigator.share === 'function'

  const copy = (): void => {
    navigator.clipboard.writeText(invite.link)
      .then(() => { setCopied('yes') })
      .catch(() => {
        const input = document.getElementById(`${id}-link`) as HTMLInputElement | null
        input?.select()
        setCopied('failed')
      })
  }
  const share = (): void => {
    navigator.share({ title: 'Shallot invite', url: invite.link }).catch(() => { /* cancelled */ })
  }

  return (
    <section className="invite-panel" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Invite someone</h3>
      <p className="muted">
        Send this link or let them scan the code. It expires on {new Date(invite.expiresAt).toLocaleString()}, and you can revoke it below.
        The part after # never reaches any server.
      </p>
      <label htmlFor={`${id}-link`}>Invite link</label>
      <input id={`${id}-link`} className="mono invite-link" readOnly value={invite.link} onFocus={(e) => { e.currentTarget.select() }} />
      <div className="button-row">
        <button type="button" onClick={copy}>Copy link</button>
        {canShare && <button type="button" onClick={share}>Share…</button>}
        <button type="button" className="secondary" onClick={onClose}>Close invite</button>
      </div>
      <p role="status" className="muted">
        {copied === 'yes' ? 'Link copied.' : copied === 'failed' ? 'Copying is not allowed here: the link is selected, copy it with your keyboard.' : ''}
      </p>
      <QrCode text={invite.link} label="QR code of the invite link" />
    </section>
  )
}
