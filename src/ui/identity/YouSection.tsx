import { useId } from 'react'
import type { IdentitySnapshot, IdentityActions, SelfView } from '../../app/identity/index.ts'
import { groupDigits } from '../../core/identity/safety-number.ts'
import { ConfirmButton } from './ConfirmButton.tsx'
import { InvitePanel } from './InvitePanel.tsx'
import { IssuedInvites } from './IssuedInvites.tsx'
import { NoticeLine } from './Notice.tsx'
import { Progress } from './Progress.tsx'
import './YouSection.css'

function download (bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => { URL.revokeObjectURL(url) }, 10_000)
}

/** The compact "You" section: name, key fingerprint, backup, invite, nuke. */
export function YouSection ({ self, snapshot, actions }: {
  self: SelfView
  snapshot: IdentitySnapshot
  actions: IdentityActions
}) {
  const id = useId()
  const busy = snapshot.busy
  return (
    <section className="panel identity-you" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>You</h2>
      <dl className="identity-facts">
        <dt>Name</dt>
        <dd data-testid="own-name">{self.displayName}</dd>
        <dt>Your key</dt>
        <dd className="mono" data-testid="own-fingerprint">
          {groupDigits(self.fingerprint).join(' ')}
        </dd>
      </dl>
      <NoticeLine snapshot={snapshot} area="you" onDismiss={() => { actions.dismissNotice() }} />
      {busy != null && busy.task !== 'create' && busy.task !== 'restore' && <Progress busy={busy} />}
      <div className="button-row">
        <button type="button" onClick={() => { void actions.backupFile().then((f) => { if (f != null) download(f.bytes, f.fileName) }) }}>
          Download backup
        </button>
        <button type="button" disabled={busy != null} onClick={() => { void actions.createInvite() }}>
          Invite someone
        </button>
        <ConfirmButton
          label="Erase everything…"
          className="danger"
          disabled={busy != null}
          question="Erase your identity, keys, contacts, message history, cached app files and the service worker from this browser? Without your backup file and passphrase this cannot be undone."
          confirmLabel="Yes, erase everything"
          onConfirm={() => { void actions.nuke() }}
        />
      </div>
      <p className="muted">
        A copy of your backup stays in this browser, locked with your passphrase, so you can download it again. It is only as strong as that passphrase: keep it long and not used anywhere else.
      </p>
      <NoticeLine snapshot={snapshot} area="invite" onDismiss={() => { actions.dismissNotice() }} />
      {snapshot.outgoing != null && <InvitePanel invite={snapshot.outgoing} onClose={() => { actions.closeOutgoingInvite() }} />}
      <IssuedInvites invites={snapshot.issued} disabled={busy != null} onRevoke={(inviteId) => { void actions.revokeInvite(inviteId) }} />
    </section>
  )
}
