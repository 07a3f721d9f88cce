/**
 * Invites: making a signed invite link, opening one (from the address bar or
 * a pasted link), and accepting it (the inviter becomes a pending contact)
 * or refusing it; the list of the invites we issued, and revoking one.
 *
 * Each link carries a fresh secret. The inviter keeps it, with the invite's
 * id, expiry and whether it was revoked, in the profile's encrypted store
 * before the link is shown; the person who accepts keeps it with the new
 * contact (encrypted too) and proves it in each introduction until the
 * inviter knows their key. The inviter's service lets an unknown key in only
 * with a proof of a live invite (app/chat/requests.ts, docs/RENDEZVOUS.md §6
 * "Invite proof"), so expiry and revocation hold at the service, not only in
 * the opener's screen.
 *
 * The threats: a link altered, truncated, oversized or expired is refused
 * with the reason and changes nothing (core/identity/invite.ts checks the
 * signature and the size before anything is shown); accepting checks the
 * expiry again, as the invite may have been open for a while. The safety
 * number is shown before accepting, so the two people can compare it out of
 * band; an own invite or one from a contact already known cannot be
 * accepted. The app puts no relay addresses in its links: the link's origin
 * is the network, and an address in a link is never used without the
 * person's confirmation (app/config.ts).
 */
import { ctEqual, toHex } from '../../core/bytes.ts'
import {
  createInvitePayload, decodeInvite, ExpiredInviteError, extractInvitePayload, inviteLink, newInviteFields, type Invite
} from '../../core/identity/index.ts'
import { systemRandom } from '../../core/random.ts'
import type { Contact } from '../../storage/types.ts'
import { CONTACT_ID_BYTES } from './constants.ts'
import { ERROR_TEXT, errorText } from './errors.ts'
import { safetyNumberOf } from './fingerprints.ts'
import type { IdentityHost } from './host.ts'
import type { IncomingInviteView, OutgoingInvite } from './types.ts'

/**
 * What the person is shown of an opened invite: the refusal, or the inviter
 * with the safety number and what keeps it from being accepted. `own` is
 * this profile's key (absent before there is an identity).
 */
export function incomingInviteView (
  invite: Invite | null, refusal: string | null, own: Uint8Array | undefined, contacts: readonly Contact[]
): IncomingInviteView | null {
  if (refusal != null) return { status: 'refused', message: refusal }
  if (invite == null) return null
  let blocker: 'own-invite' | 'already-contact' | 'no-identity' | null = null
  if (own == null) blocker = 'no-identity'
  else if (ctEqual(own, invite.publicKey)) blocker = 'own-invite'
  else if (contacts.some(c => ctEqual(c.publicKey, invite.publicKey))) blocker = 'already-contact'
  return {
    status: 'valid',
    inviterName: invite.displayName,
    expiresAt: invite.expiresAt,
    safetyNumber: own == null || blocker === 'own-invite' ? null : safetyNumberOf(own, invite.publicKey),
    blocker
  }
}

export class Invites {
  /** The opened invite, valid when decoded (it may expire while shown). */
  private invite: Invite | null = null
  /** Why the opened link was refused, as shown. */
  private refusal: string | null = null

  constructor (private readonly host: IdentityHost) {}

  /** The opened invite as the snapshot shows it. */
  view (): IncomingInviteView | null {
    return incomingInviteView(this.invite, this.refusal, this.host.profile()?.identity.publicKey, this.host.contacts())
  }

  /** Make a signed invite link (`relays` stays empty in the app). */
  async create (relays: readonly string[]): Promise<OutgoingInvite | null> {
    const h = this.host
    const p = h.profile()
    if (p == null) return null
    h.set({ busy: { task: 'invite', progress: null }, notice: null })
    try {
      const now = h.now()
      const fields = newInviteFields({ publicKey: p.identity.publicKey, displayName: p.identity.displayName, relays, now })
      const payload = await createInvitePayload(fields, async (m) => await p.sign(m))
      // The expiry as the link says it (whole seconds), which the service checks.
      const expiresAt = Math.floor(fields.expiresAt / 1000) * 1000
      // Kept before the link is shown: a link whose secret we lost could never bring anyone in.
      await p.putIssuedInvite({ id: toHex(fields.inviteId), secret: fields.secret, createdAt: now, expiresAt, revoked: false })
      const outgoing = { link: inviteLink(h.deps.appUrl?.() ?? '', payload), expiresAt: fields.expiresAt }
      h.set({ busy: null, outgoing })
      await h.refresh()
      return outgoing
    } catch {
      h.set({ busy: null, notice: { kind: 'error', area: 'invite', text: ERROR_TEXT.inviteNotMade } })
      return null
    }
  }

  /**
   * Handle a location hash or link. Returns true when it held an invite (valid
   * or not), so the caller clears it from the address bar.
   */
  receive (hashOrLink: string): boolean {
    let payload: string | null
    try {
      payload = extractInvitePayload(hashOrLink)
      if (payload == null) return false
      this.invite = decodeInvite(payload, this.host.now())
      this.refusal = null
    } catch (e) {
      this.invite = null
      this.refusal = errorText(e, ERROR_TEXT.inviteDamaged)
    }
    this.host.set({})
    return true
  }

  /** "Add contact": store the inviter as a pending contact. */
  async accept (): Promise<boolean> {
    const h = this.host
    const inv = this.invite
    const p = h.profile()
    const view = h.snapshot().incoming
    if (inv == null || p == null || view?.status !== 'valid' || view.blocker != null) return false
    if (inv.expiresAt <= h.now()) {
      this.invite = null
      this.refusal = new ExpiredInviteError().message
      h.set({})
      return false
    }
    h.set({ busy: { task: 'accept', progress: null } })
    try {
      await p.putContact({
        id: toHex(systemRandom(CONTACT_ID_BYTES)),
        publicKey: inv.publicKey,
        displayName: inv.displayName,
        relays: inv.relays,
        state: 'pending',
        verified: false,
        addedAt: h.now(),
        inviteId: toHex(inv.inviteId),
        inviteSecret: inv.secret
      })
      this.invite = null
      h.set({ busy: null, notice: { kind: 'success', area: 'contacts', text: `${inv.displayName} was added as a pending contact.` } })
      await h.refresh()
      return true
    } catch {
      h.set({ busy: null, notice: { kind: 'error', area: 'invite', text: ERROR_TEXT.contactNotSaved } })
      return false
    }
  }

  /** Revoke an invite we issued: from now on our service refuses its proofs (app/chat/requests.ts). */
  async revoke (inviteId: string): Promise<boolean> {
    const h = this.host
    const p = h.profile()
    if (p == null) return false
    try {
      const issued = (await p.listIssuedInvites()).find(i => i.id === inviteId)
      if (issued == null) return false
      if (!issued.revoked) await p.putIssuedInvite({ ...issued, revoked: true })
      h.set({ notice: { kind: 'success', area: 'invite', text: 'The invite was revoked: nobody new can use it to reach you.' } })
      await h.refresh()
      return true
    } catch {
      h.set({ notice: { kind: 'error', area: 'invite', text: ERROR_TEXT.inviteNotRevoked } })
      return false
    }
  }

  /** Close the opened invite (refused or not) without accepting it. */
  dismiss (): void {
    this.forget()
    this.host.set({})
  }

  /** Forget the opened invite without showing it (everything is being erased). */
  forget (): void {
    this.invite = null
    this.refusal = null
  }
}
