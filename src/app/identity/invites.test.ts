import { describe, expect, it } from 'vitest'
import { base64urlDecode, base64urlEncode, decodeInvite, extractInvitePayload, safetyNumber } from '../../core/identity/index.ts'
import { fromHex, toHex } from '../../core/bytes.ts'
import { ed25519PublicKeyFromSeed, type Invite } from '../../core/identity/index.ts'
import type { Contact } from '../../storage/types.ts'
import { fingerprintOf } from './fingerprints.ts'
import { incomingInviteView } from './invites.ts'
import { makeStore, PASS, ready } from './identity.test-util.ts'

describe('invites', () => {
  it('invite A → B: B sees A\'s name and the same safety number A sees for B; accepting stores a pending contact', async () => {
    const a = await ready('Ann')
    const b = await ready('Bob')
    const linkA = (await a.store.createInvite(['/dns4/relay.example/tcp/443/wss']))!.link
    const linkB = (await b.store.createInvite([]))!.link
    expect(linkA).toMatch(/^https:\/\/app\.example\/#invite=[A-Za-z0-9_-]+$/)

    expect(b.store.receiveInvite(new URL(linkA).hash)).toBe(true)
    expect(a.store.receiveInvite(new URL(linkB).hash)).toBe(true)
    const seenByB = b.store.getSnapshot().incoming
    const seenByA = a.store.getSnapshot().incoming
    expect(seenByB).toMatchObject({ status: 'valid', inviterName: 'Ann', blocker: null })
    expect(seenByA).toMatchObject({ status: 'valid', inviterName: 'Bob', blocker: null })
    if (seenByA?.status !== 'valid' || seenByB?.status !== 'valid') throw new Error('unreachable')
    expect(seenByB.safetyNumber).toMatch(/^\d{60}$/)
    expect(seenByB.safetyNumber).toBe(seenByA.safetyNumber)
    expect(seenByB.safetyNumber).toBe(safetyNumber(fromHex(a.store.getSnapshot().self!.publicKeyHex), fromHex(b.store.getSnapshot().self!.publicKeyHex)))

    expect(await b.store.acceptInvite()).toBe(true)
    const contacts = b.store.getSnapshot().contacts
    expect(contacts).toHaveLength(1)
    expect(contacts[0]).toMatchObject({ displayName: 'Ann', state: 'pending', verified: false, relays: ['/dns4/relay.example/tcp/443/wss'], safetyNumber: seenByB.safetyNumber })
    expect(b.store.getSnapshot().incoming).toBeNull()
    // the same link again: already a contact
    b.store.receiveInvite(new URL(linkA).hash)
    expect(b.store.getSnapshot().incoming).toMatchObject({ blocker: 'already-contact' })
    // own link
    a.store.receiveInvite(new URL(linkA).hash)
    expect(a.store.getSnapshot().incoming).toMatchObject({ blocker: 'own-invite', safetyNumber: null })
  })

  it('a tampered, expired or oversized link is refused with a message and changes nothing', async () => {
    let t = 1_750_000_000_000
    const a = await ready('Ann')
    const b = await ready('Bob', () => t)
    const payload = new URL((await a.store.createInvite([]))!.link).hash.slice('#invite='.length)
    const bytes = base64urlDecode(payload)!
    bytes[30] = (bytes[30] as number) ^ 4
    expect(b.store.receiveInvite('#invite=' + base64urlEncode(bytes))).toBe(true)
    expect(b.store.getSnapshot().incoming).toEqual({ status: 'refused', message: expect.stringMatching(/altered/) })
    expect(await b.store.acceptInvite()).toBe(false)
    expect(b.store.receiveInvite('#invite=' + 'A'.repeat(5000))).toBe(true)
    expect(b.store.getSnapshot().incoming).toEqual({ status: 'refused', message: expect.stringMatching(/too long/) })
    t += 8 * 24 * 3600 * 1000
    b.store.receiveInvite('#invite=' + payload)
    expect(b.store.getSnapshot().incoming).toEqual({ status: 'refused', message: expect.stringMatching(/expired/) })
    expect(b.store.getSnapshot().contacts).toHaveLength(0)
    expect(b.store.receiveInvite('#settings')).toBe(false)
  })

  it('an invite opened before an identity exists waits for one', async () => {
    const a = await ready('Ann')
    const link = (await a.store.createInvite([]))!.link
    const b = makeStore()
    await b.store.start()
    b.store.receiveInvite(new URL(link).hash)
    expect(b.store.getSnapshot().incoming).toMatchObject({ status: 'valid', blocker: 'no-identity', safetyNumber: null })
    await b.store.createIdentity('Bob', PASS, PASS)
    expect(b.store.getSnapshot().incoming).toMatchObject({ status: 'valid', blocker: null })
    expect(await b.store.acceptInvite()).toBe(true)
  })

  it('the inviter keeps each invite\'s secret in its encrypted store before showing the link; the one who accepts keeps it with the contact', async () => {
    const a = await ready('Ann')
    const b = await ready('Bob')
    const link = (await a.store.createInvite())!.link
    const issued = await a.store.unlockedProfile()!.listIssuedInvites()
    expect(issued).toHaveLength(1)
    const inLink = decodeInvite(extractInvitePayload(new URL(link).hash)!, 1_750_000_000_000)
    expect(issued[0]).toMatchObject({ id: toHex(inLink.inviteId), revoked: false, expiresAt: inLink.expiresAt })
    expect(toHex(issued[0]!.secret)).toBe(toHex(inLink.secret))
    expect(a.store.getSnapshot().issued).toEqual([{ id: issued[0]!.id, createdAt: 1_750_000_000_000, expiresAt: inLink.expiresAt, status: 'active' }])
    expect(JSON.stringify(a.store.getSnapshot())).not.toContain(toHex(inLink.secret)) // the snapshot never holds a secret
    b.store.receiveInvite(new URL(link).hash)
    expect(await b.store.acceptInvite()).toBe(true)
    const [ann] = await b.store.unlockedProfile()!.listContacts()
    expect(toHex(ann!.inviteSecret!)).toBe(toHex(inLink.secret))
  })

  it('revoking an issued invite marks it revoked in the store and in the list', async () => {
    const a = await ready('Ann')
    await a.store.createInvite()
    await a.store.createInvite()
    const [first, second] = a.store.getSnapshot().issued
    expect(await a.store.revokeInvite(first!.id)).toBe(true)
    expect(a.store.getSnapshot().issued.map(i => i.status)).toEqual(['revoked', 'active'])
    expect((await a.store.unlockedProfile()!.listIssuedInvites()).find(i => i.id === second!.id)!.revoked).toBe(false)
    expect(await a.store.revokeInvite('00'.repeat(16))).toBe(false)
  })

  describe('what an opened invite shows', () => {
    const key = (n: number): Uint8Array => ed25519PublicKeyFromSeed(new Uint8Array(32).fill(n))
    const inviter = key(7)
    const own = key(8)
    const invite: Invite = { inviteId: new Uint8Array(16), secret: new Uint8Array(32), expiresAt: 5_000, publicKey: inviter, displayName: 'Ann', relays: [], signature: new Uint8Array(64) }
    const contact = (publicKey: Uint8Array): Contact => ({ id: 'c1', publicKey, displayName: 'Ann', relays: [], state: 'accepted', verified: false, addedAt: 0 })

    it('nothing opened shows nothing; a refusal is shown whatever else is known', () => {
      expect(incomingInviteView(null, null, own, [])).toBeNull()
      expect(incomingInviteView(invite, 'This invite link has expired.', own, [])).toEqual({ status: 'refused', message: 'This invite link has expired.' })
    })

    it('a valid invite shows the inviter and the safety number, blocked when it cannot be accepted', () => {
      const safety = [fingerprintOf(own), fingerprintOf(inviter)].sort().join('')
      expect(incomingInviteView(invite, null, own, [])).toEqual({ status: 'valid', inviterName: 'Ann', expiresAt: 5_000, safetyNumber: safety, blocker: null })
      expect(incomingInviteView(invite, null, undefined, [])).toMatchObject({ blocker: 'no-identity', safetyNumber: null })
      // compared by value: a copy of the own key is still the own key
      expect(incomingInviteView(invite, null, inviter.slice(), [])).toMatchObject({ blocker: 'own-invite', safetyNumber: null })
      expect(incomingInviteView(invite, null, own, [contact(key(9)), contact(inviter.slice())])).toMatchObject({ blocker: 'already-contact', safetyNumber: safety })
      expect(incomingInviteView(invite, null, own, [contact(key(9))])).toMatchObject({ blocker: null })
    })
  })
})

