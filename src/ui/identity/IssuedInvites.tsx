import { useId } from 'react'
import type { IssuedInviteView } from '../../app/identity/index.ts'

const STATUS_TEXT: Record<IssuedInviteView['status'], string> = {
  active: 'Active',
  expired: 'Expired',
  revoked: 'Revoked'
}

/**
 * The invites this identity made, newest first, each with its status and,
 * while it is active, a Revoke button: after revoking, nobody new can reach
 * us with that link (the service refuses its proof; contacts already made
 * stay). The store keeps the list (app/identity/invites.ts); this only shows it.
 */
export function IssuedInvites ({ invites, disabled, onRevoke }: {
  invites: readonly IssuedInviteView[]
  disabled: boolean
  onRevoke: (inviteId: string) => void
}) {
  const id = useId()
  if (invites.length === 0) return null
  return (
    <section className="issued-invites" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Your invites</h3>
      <ul className="issued-invite-list">
        {[...invites].reverse().map(inv => (
          <li key={inv.id} data-testid="issued-invite" data-status={inv.status}>
            <span>
              Made {new Date(inv.createdAt).toLocaleString()}; {inv.status === 'active' ? 'expires' : 'expiry'} {new Date(inv.expiresAt).toLocaleString()}.{' '}
              <strong>{STATUS_TEXT[inv.status]}</strong>
            </span>
            {inv.status === 'active' && (
              <button type="button" className="secondary" disabled={disabled} onClick={() => { onRevoke(inv.id) }}>Revoke</button>
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}
