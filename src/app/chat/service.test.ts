/**
 * ChatService with the fakes of ./chat.test-util.ts: contact requests,
 * delivery, proving the contact's identity, notifications.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ctEqual, fromHex, toHex } from '../../core/bytes.ts'
import { nobleDh } from '../../core/crypto/ntor.ts'
import { x25519PublicKey } from '../../core/crypto/primitives.ts'
import { createIntroduce, deriveStaticDhKey } from '../../core/rendezvous/index.ts'
import { testIdentity } from '../../core/rendezvous/rendezvous.test-util.ts'
import { encodeChatFrame, splitMessage, type decodeChatFrame } from '../../core/chat/index.ts'
import { systemRandom } from '../../core/random.ts'
import { connectToContact, RendezvousAuthError, type RendezvousLink } from '../onion-service/index.ts'
import {
  addContact, fakeIdentity, fakeOnion, fakeProfile, flushAsync, introduction, inviteClaim, issueInvite, linkPair, never, remoteEnd, start, stopServices,
  strangerWith, track, type Internals
} from './chat.test-util.ts'
import { AUTH_FAILURES_BEFORE_WARNING, IDENTITY_UNPROVEN_WARNING, MAX_PENDING_REQUESTS, MAX_REQUEST_NAME_BYTES, SENDER_REORDER_WINDOW_MS, STALL_MS } from './constants.ts'
import { wantsLink, type PeerState } from './conversation.ts'
import { placeIncoming } from './delivery.ts'
import type { Message } from '../../storage/types.ts'
import { ChatService } from './service.ts'
import { heldInvite } from './sessions.ts'

// connectToContact is replaced so a test can decide how reaching a contact ends
// (by default it never does, like the real one on the fake onion layer).
vi.mock('../onion-service/index.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../onion-service/index.ts')>()
  return { ...real, connectToContact: vi.fn(async () => await new Promise(() => {})) }
})

afterEach(stopServices)

describe('ChatService: contact requests', () => {
  it(`request flood by an invite holder: at most MAX_PENDING_REQUESTS (${MAX_PENDING_REQUESTS}) are kept, the honest one already there stays, the rest are refused and counted`, async () => {
    const { svc, i, profile } = await start()
    const invite = await issueInvite(profile)
    const honestKey = systemRandom(32)
    await i.requests.onIntroduction(strangerWith(profile, invite, never, honestKey, 'Honest'))
    const accept = vi.fn(never)
    const flood = MAX_PENDING_REQUESTS + 10
    for (let n = 0; n < flood; n++) void i.requests.onIntroduction(strangerWith(profile, invite, accept))
    await flushAsync()
    const requests = [...profile.contacts.values()].filter(c => c.state === 'request')
    expect(requests).toHaveLength(MAX_PENDING_REQUESTS)
    expect(requests.filter(c => ctEqual(c.publicKey, honestKey)).map(c => c.displayName)).toEqual(['Honest']) // never replaced
    expect(svc.refusedRequests().get('quota')).toBe(flood - (MAX_PENDING_REQUESTS - 1))
    expect(accept).not.toHaveBeenCalled() // requests get no rendezvous at all (next test)
  })

  it('guard discovery through a chosen rendezvous point: a request makes no rendezvous circuit, however often it is repeated, until it is accepted; then we connect to them', async () => {
    // The attack: anyone with our invite names a rendezvous point next to a colluding middle and
    // repeats the introduction; each answer was a circuit from us to that point, and its middle
    // learned our guard. Now the introduction's name is kept and nothing is built.
    const { svc, i, profile } = await start()
    const key = systemRandom(32)
    const invite = await issueInvite(profile)
    const accept = vi.fn(never)
    for (let n = 0; n < 30; n++) {
      void i.requests.onIntroduction(strangerWith(profile, invite, accept, key))
      await flushAsync()
    }
    expect(accept).not.toHaveBeenCalled()
    const request = [...profile.contacts.values()].find(c => c.state === 'request')!
    expect(request.displayName).toBe('Mallory')
    const peer = (): PeerState => i.peers.get(request.id)! as unknown as PeerState
    expect(wantsLink(peer())).toBe(false) // and we do not reach out either
    await svc.accept(request.id)
    expect(wantsLink(peer())).toBe(true) // our accept is owed: we connect to them
  })

  it('two introductions from the same new key at once make one contact', async () => {
    const { i, profile } = await start()
    const key = systemRandom(32)
    const invite = await issueInvite(profile)
    await Promise.all([i.requests.onIntroduction(strangerWith(profile, invite, never, key)), i.requests.onIntroduction(strangerWith(profile, invite, never, key))].map(async p => await Promise.race([p, flushAsync()])))
    await flushAsync()
    expect(profile.contacts.size).toBe(1)
  })

  it('answers one introduction per contact at a time (a contact cannot make us build many circuits)', async () => {
    const { svc, i, profile } = await start()
    const c = await addContact(profile, svc)
    const accept = vi.fn(never)
    for (let n = 0; n < 5; n++) void i.requests.onIntroduction(introduction(c.publicKey, accept))
    await flushAsync()
    expect(accept).toHaveBeenCalledTimes(1)
  })

  it('a storage failure while recording a request does not escape as a rejection', async () => {
    const { i, profile } = await start()
    const invite = await issueInvite(profile)
    profile.putContact = async () => { throw new Error('storage unavailable') }
    await expect(i.requests.onIntroduction(strangerWith(profile, invite, never))).resolves.toBeUndefined()
    profile.listIssuedInvites = async () => { throw new Error('storage unavailable') }
    await expect(i.requests.onIntroduction(strangerWith(profile, invite, never))).resolves.toBeUndefined()
  })

  it('a link that completes after the profile was closed is closed, not attached to the old contact', async () => {
    const { i, svc, profile } = await start()
    const c = await addContact(profile, svc)
    const [ours] = linkPair()
    let finish: (l: RendezvousLink) => void = () => {}
    const p = i.requests.onIntroduction(introduction(c.publicKey, async () => await new Promise<RendezvousLink>(resolve => { finish = resolve })))
    await flushAsync()
    svc.stop()
    finish(ours)
    await p
    expect(ours.circuit.state).toBe('closed')
  })

  it('we still deliver our decline: a contact we declined with the decline owed wants a link', async () => {
    const { i, svc, profile } = await start()
    const c = await addContact(profile, svc, 'request')
    await svc.decline(c.id)
    const peer = i.peers.get(c.id)!
    expect(peer.owed.size).toBe(1)
    expect(wantsLink(peer as unknown as PeerState)).toBe(true)
  })
  it('a contact we declined cannot undo it over the still-open session, nor write to us; the link closes once our decline is acknowledged', async () => {
    const { i, svc, profile } = await start()
    const c = await addContact(profile, svc, 'request')
    const [ours, theirs] = linkPair()
    const remote = remoteEnd(theirs)
    i.attach(i.peers.get(c.id), ours)
    await svc.decline(c.id)
    await flushAsync()
    const decline = remote.got.find(f => f.type === 'control')
    expect(decline).toMatchObject({ what: 'decline' })
    await remote.send(encodeChatFrame({ type: 'control', msgId: systemRandom(16), timestamp: 1, what: 'accept' }))
    for (const f of splitMessage(systemRandom(16), 5, 'let me in').map(encodeChatFrame)) await remote.send(f)
    await flushAsync()
    expect(profile.contacts.get(c.id)!.state).toBe('declined')
    expect(profile.messages.get(c.id)?.size ?? 0).toBe(0)
    await remote.send(encodeChatFrame({ type: 'ack', msgId: (decline as { msgId: Uint8Array }).msgId }))
    await flushAsync()
    expect(ours.circuit.state).toBe('closed')
  })
})

describe('ChatService: only a live invite lets a stranger in (docs/RENDEZVOUS.md §6 "Invite proof")', () => {
  const requests = (profile: { contacts: Map<string, { state: string }> }): number => [...profile.contacts.values()].filter(c => c.state === 'request').length

  it('an INTRODUCE from a stranger without any invite proof makes no request, no circuit, no answer; it is counted', async () => {
    const { svc, i, profile } = await start()
    await issueInvite(profile)
    const accept = vi.fn(never)
    await i.requests.onIntroduction(introduction(systemRandom(32), accept))
    expect(requests(profile)).toBe(0)
    expect(accept).not.toHaveBeenCalled()
    expect(svc.refusedRequests().get('no-invite')).toBe(1)
  })

  it('a proof made with a wrong secret (a guess) makes no request', async () => {
    const { svc, i, profile } = await start()
    const invite = await issueInvite(profile)
    const key = systemRandom(32)
    await i.requests.onIntroduction(introduction(key, never, 'Mallory', inviteClaim(profile, key, { id: invite.id, secret: systemRandom(32) })))
    expect(requests(profile)).toBe(0)
    expect(svc.refusedRequests().get('bad-proof')).toBe(1)
  })

  it('a proof for an invite id we never issued makes no request', async () => {
    const { svc, i, profile } = await start()
    await issueInvite(profile)
    const key = systemRandom(32)
    await i.requests.onIntroduction(introduction(key, never, 'Mallory', inviteClaim(profile, key, { id: toHex(systemRandom(16)), secret: systemRandom(32) })))
    expect(requests(profile)).toBe(0)
    expect(svc.refusedRequests().get('unknown-invite')).toBe(1)
  })

  it('a real proof replayed in an INTRODUCE with another X makes no request', async () => {
    const { svc, i, profile } = await start()
    const invite = await issueInvite(profile)
    const key = systemRandom(32)
    // Proven over the X of an earlier INTRODUCE, presented with a fresh X (the replay cache refuses the same X).
    await i.requests.onIntroduction(introduction(key, never, 'Mallory', inviteClaim(profile, key, invite, { X: systemRandom(32), provenX: systemRandom(32) })))
    expect(requests(profile)).toBe(0)
    expect(svc.refusedRequests().get('bad-proof')).toBe(1)
  })

  it('a valid proof of a revoked invite makes no request', async () => {
    const { svc, i, profile } = await start()
    const invite = await issueInvite(profile, { revoked: true })
    await i.requests.onIntroduction(strangerWith(profile, invite, never))
    expect(requests(profile)).toBe(0)
    expect(svc.refusedRequests().get('revoked-invite')).toBe(1)
  })

  it('a valid proof of an expired invite makes no request: the service checks the expiry, not only the opener', async () => {
    const { svc, i, profile } = await start()
    const invite = await issueInvite(profile, { expiresAt: Date.now() - 1 })
    await i.requests.onIntroduction(strangerWith(profile, invite, never))
    expect(requests(profile)).toBe(0)
    expect(svc.refusedRequests().get('expired-invite')).toBe(1)
  })

  it(`an oversized request (a name over MAX_REQUEST_NAME_BYTES = ${MAX_REQUEST_NAME_BYTES} bytes) is refused with its reason, even with a valid proof`, async () => {
    const { svc, i, profile } = await start()
    const invite = await issueInvite(profile)
    const refusals: string[] = []
    ;(i.requests as unknown as { onRefused: (e: { name: string, reason: string }) => void }).onRefused = (e) => { refusals.push(`${e.name}:${e.reason}`) }
    await i.requests.onIntroduction(strangerWith(profile, invite, never, systemRandom(32), 'é'.repeat(MAX_REQUEST_NAME_BYTES)))
    expect(requests(profile)).toBe(0)
    expect(svc.refusedRequests().get('oversized')).toBe(1)
    expect(refusals).toEqual(['RequestRefusedError:oversized'])
  })

  it('a valid proof of a live invite makes a request; an accepted contact needs no invite at all', async () => {
    const { svc, i, profile } = await start()
    const invite = await issueInvite(profile)
    await i.requests.onIntroduction(strangerWith(profile, invite, never))
    expect(requests(profile)).toBe(1)
    const c = await addContact(profile, svc)
    const accept = vi.fn(never)
    void i.requests.onIntroduction(introduction(c.publicKey, accept))
    await flushAsync()
    expect(accept).toHaveBeenCalledTimes(1)
    expect(svc.refusedRequests().size).toBe(0)
  })
})

describe('ChatService: invite proofs on the wire', () => {
  const bob = testIdentity(systemRandom(32))
  async function introduceTo (svc: ChatService, profile: { identity: { publicKey: Uint8Array } }, invite: { id: string, secret: Uint8Array } | null): Promise<void> {
    const hs = svc.onionService as unknown as { introEnc: { publicKey: Uint8Array }, onIntroduce2: (d: Uint8Array) => Promise<void> }
    const { data } = await createIntroduce({
      serviceKey: profile.identity.publicKey, authId: systemRandom(32), introEncKey: hs.introEnc.publicKey,
      rp: { peerId: '12D3KooWRendezvousPoint', nodeId: systemRandom(32), onionKey: x25519PublicKey(systemRandom(32)) }, cookie: systemRandom(20),
      clientKey: bob.publicKey, clientStatic: await deriveStaticDhKey(bob.publicKey, bob.sign, nobleDh), clientName: 'Bob', timestamp: Date.now(), random: systemRandom, dh: nobleDh,
      invite: invite == null ? null : { inviteId: fromHex(invite.id), secret: invite.secret }
    })
    await hs.onIntroduce2(data)
    await flushAsync()
  }

  it('a real INTRODUCE without a proof, through our service, makes no request; with the proof of a live invite it does (bound to its own X)', async () => {
    const { svc, profile } = await start()
    const invite = await issueInvite(profile)
    await introduceTo(svc, profile, null)
    expect(profile.contacts.size).toBe(0)
    expect(svc.refusedRequests().get('no-invite')).toBe(1)
    await introduceTo(svc, profile, { id: invite.id, secret: systemRandom(32) })
    expect(profile.contacts.size).toBe(0)
    expect(svc.refusedRequests().get('bad-proof')).toBe(1)
    await introduceTo(svc, profile, invite)
    expect([...profile.contacts.values()].map(c => [c.displayName, c.state, c.inviteId])).toEqual([['Bob', 'request', invite.id]])
  })

  it('while the inviter has not accepted us, our introductions prove their invite; once accepted they carry none', async () => {
    vi.mocked(connectToContact).mockClear()
    const { svc, i, profile } = await start()
    const secret = systemRandom(32)
    const inviteId = toHex(systemRandom(16))
    const ann = await addContact(profile, svc, 'pending', { inviteId, inviteSecret: secret })
    i.tick()
    await flushAsync()
    const calls = vi.mocked(connectToContact).mock.calls
    expect(calls.length).toBeGreaterThan(0)
    expect(calls[0]![3]).toEqual({ inviteId: fromHex(inviteId), secret })
    expect(heldInvite({ ...ann, state: 'accepted' })).toBeNull()
  })
})

describe('ChatService: messages', () => {
  it('does not acknowledge a message it could not store; the resent copy is stored and acknowledged once', async () => {
    const { i, svc, profile } = await start()
    const c = await addContact(profile, svc)
    const [ours, theirs] = linkPair()
    const remote = remoteEnd(theirs)
    i.attach(i.peers.get(c.id), ours)
    const msgId = systemRandom(16)
    const frames = splitMessage(msgId, 5, 'hello').map(encodeChatFrame)
    profile.failPuts = 1
    for (const f of frames) await remote.send(f)
    await flushAsync()
    expect(remote.got.filter(f => f.type === 'ack')).toHaveLength(0)
    for (const f of frames) await remote.send(f)
    await flushAsync()
    expect(profile.messages.get(c.id)?.get(toHex(msgId))?.text).toBe('hello')
    expect(remote.got.filter(f => f.type === 'ack')).toHaveLength(1)
    for (const f of frames) await remote.send(f) // a third copy: acknowledged again, shown once
    await flushAsync()
    expect(remote.got.filter(f => f.type === 'ack')).toHaveLength(2)
    expect(svc.getSnapshot().conversations[0]!.unread).toBe(1)
  })

  it("order on screen is the receiver's: an incoming message is placed and timed by its arrival, whatever the sender's clock says", async () => {
    const before = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now: before }) // the service's clock; timers stay real
    const { i, svc, profile } = await start()
    const c = await addContact(profile, svc)
    const [ours, theirs] = linkPair()
    const remote = remoteEnd(theirs)
    i.attach(i.peers.get(c.id), ours)
    svc.open(c.id)
    // The first claims to be from 2100, the second from 1970: with the sender's clock they would swap.
    // More than a window apart, the second may not be moved back before the first (SENDER_REORDER_WINDOW_MS).
    for (const [claim, text, at] of [[Date.UTC(2100, 0, 1), 'first', before], [5, 'second', before + SENDER_REORDER_WINDOW_MS + 1]] as const) {
      vi.setSystemTime(at)
      for (const f of splitMessage(systemRandom(16), claim, text).map(encodeChatFrame)) await remote.send(f)
      await flushAsync()
    }
    vi.useRealTimers()
    const shown = svc.getSnapshot().messages
    expect(shown.map(m => m.text)).toEqual(['first', 'second'])
    expect(shown.map(m => m.timestamp)).toEqual([before, before + SENDER_REORDER_WINDOW_MS + 1])
    // The claim is kept beside it, not used.
    expect([...profile.messages.get(c.id)!.values()].map(m => m.sentAt).sort()).toEqual([5, Date.UTC(2100, 0, 1)].sort())
  })

  it('a retransmitted message overtaken by the sender\'s later ones is shown in the sender\'s order, but only among what arrived within the window', () => {
    const inMsg = (id: string, timestamp: number, sentAt: number): Message => ({ id, direction: 'in', text: id, timestamp, sentAt })
    const outMsg: Message = { id: 'mine', direction: 'out', text: 'mine', timestamp: 1_000_050, sentAt: 1_000_050 }
    const shown = [inMsg('12', 1_000_000, 500_012), outMsg, inMsg('13', 1_000_100, 500_013)]
    // 11 was sent before 12 and 13, which arrived in the last minute: it goes just before 12.
    expect(placeIncoming(shown, 1_000_200, 500_011)).toBe(999_999)
    // The same claim a window later moves nothing: it is placed by its arrival.
    expect(placeIncoming(shown, 1_000_000 + SENDER_REORDER_WINDOW_MS + 101, 500_011)).toBe(1_000_000 + SENDER_REORDER_WINDOW_MS + 101)
    // A message sent after them is placed by arrival.
    expect(placeIncoming(shown, 1_000_200, 500_014)).toBe(1_000_200)
  })

  it("an ACK only affects the contact whose session carried it", async () => {
    const { i, svc, profile } = await start()
    const x = await addContact(profile, svc)
    const y = await addContact(profile, svc)
    expect(await svc.send(x.id, 'to x')).toBe(true)
    const xId = [...profile.messages.get(x.id)!.keys()][0]!
    const [ours, theirs] = linkPair()
    const remote = remoteEnd(theirs)
    i.attach(i.peers.get(y.id), ours)
    await remote.send(encodeChatFrame({ type: 'ack', msgId: Uint8Array.from(Buffer.from(xId, 'hex')) }))
    await flushAsync()
    expect(profile.messages.get(x.id)!.get(xId)!.status).toBe('sending')
    expect(i.peers.get(x.id)!.outbox.get(xId)?.state).toBe('sending')
  })

  it('exactly once after a reconnect: a message resent on a new session is shown once and delivered', async () => {
    const a = await start()
    const b = await start()
    const bOnA = await addContact(a.profile, a.svc, 'accepted', { publicKey: b.profile.identity.publicKey })
    const aOnB = await addContact(b.profile, b.svc, 'accepted', { publicKey: a.profile.identity.publicKey })
    const [l1a, l1b] = linkPair()
    a.i.attach(a.i.peers.get(bOnA.id), l1a)
    // B's end of the first session drops every frame (the ACK is lost with it).
    l1b.circuit.attachStream(1, () => {})
    expect(await a.svc.send(bOnA.id, 'once')).toBe(true)
    await flushAsync()
    l1a.circuit.destroy()
    const [l2a, l2b] = linkPair()
    b.i.attach(b.i.peers.get(aOnB.id), l2b)
    a.i.attach(a.i.peers.get(bOnA.id), l2a)
    await flushAsync()
    const [l3a, l3b] = linkPair() // and once more, both ends reconnecting
    b.i.attach(b.i.peers.get(aOnB.id), l3b)
    a.i.attach(a.i.peers.get(bOnA.id), l3a)
    await flushAsync()
    expect([...b.profile.messages.get(aOnB.id)!.values()].map(m => m.text)).toEqual(['once'])
    expect([...a.profile.messages.get(bOnA.id)!.values()][0]!.status).toBe('delivered')
    expect(a.i.peers.get(bOnA.id)!.outbox.size).toBe(0)
  })

  it('owed controls are written once per session, not on every tick', async () => {
    const { i, svc, profile } = await start()
    const c = await addContact(profile, svc, 'request')
    const [ours, theirs] = linkPair()
    remoteEnd(theirs)
    i.attach(i.peers.get(c.id), ours)
    await svc.accept(c.id)
    await flushAsync()
    for (let n = 0; n < 5; n++) i.tick()
    await flushAsync()
    expect(ours.circuit.written).toBe(1)
  })

  it('an accept not yet acknowledged survives a reload, is sent on the next session, and is forgotten once acknowledged', async () => {
    const first = await start()
    const c = await addContact(first.profile, first.svc, 'request')
    await first.svc.accept(c.id) // no session: owed
    expect(first.profile.contacts.get(c.id)?.owedControl).toBe('accept')
    first.svc.stop()
    const { i, profile } = await start(first.profile) // the tab reloads
    expect(i.peers.get(c.id)!.owed.size).toBe(1)
    const [ours, theirs] = linkPair()
    const remote = remoteEnd(theirs)
    i.attach(i.peers.get(c.id), ours)
    await vi.waitFor(() => { expect(remote.got.map(f => f.type)).toEqual(['control']) })
    const control = remote.got[0] as Extract<ReturnType<typeof decodeChatFrame>, { type: 'control' }>
    expect(control.what).toBe('accept')
    await remote.send(encodeChatFrame({ type: 'ack', msgId: control.msgId }))
    await vi.waitFor(() => { expect(profile.contacts.get(c.id)?.owedControl).toBeUndefined() })
    expect(i.peers.get(c.id)!.owed.size).toBe(0)
    expect(profile.contacts.get(c.id)?.state).toBe('accepted')
  })

  it(`a session that brings nothing back ${STALL_MS} ms after a message went out is given up (the message is sent again); one that answers is kept`, async () => {
    const { i, svc, profile } = await start()
    const c = await addContact(profile, svc)
    const [ours, theirs] = linkPair()
    const remote = remoteEnd(theirs) // receives, never acknowledges
    i.attach(i.peers.get(c.id), ours)
    await svc.send(c.id, 'anyone there?')
    await vi.waitFor(() => { expect(remote.got.length).toBe(1) })
    const peer = i.peers.get(c.id)!
    const item = (peer.outbox as unknown as { undelivered: () => Array<{ lastSentAt: number | null }> }).undelivered()[0]!
    i.tick()
    expect(ours.circuit.state).toBe('open') // young: kept
    // As if it all happened STALL_MS ago: opened, sent, and nothing since.
    const link = peer.links[0] as { lastReceivedAt: number }
    link.lastReceivedAt -= STALL_MS + 10
    item.lastSentAt! -= STALL_MS + 1
    i.tick()
    expect(ours.circuit.state).toBe('closed')
    expect(peer.outbox.get((peer.outbox as unknown as { undelivered: () => Array<{ id: string }> }).undelivered()[0]!.id)?.state).toBe('sending')
  })

  it('a message whose write failed on one session is resent on the other at once, not only after the ACK timeout', async () => {
    const { i, svc, profile } = await start()
    const c = await addContact(profile, svc)
    const [older, olderRemote] = linkPair()
    const [newer, newerRemote] = linkPair()
    const remote2 = remoteEnd(olderRemote)
    remoteEnd(newerRemote)
    i.attach(i.peers.get(c.id), older)
    i.attach(i.peers.get(c.id), newer)
    newer.circuit.failWrites = 1
    expect(await svc.send(c.id, 'retry me')).toBe(true)
    await flushAsync()
    const id = [...profile.messages.get(c.id)!.keys()][0]!
    expect(remote2.got.filter(f => f.type === 'part')).toHaveLength(1)
    expect(profile.messages.get(c.id)!.get(id)!.status).toBe('sent') // written on the older session; no ACK from this fake
  })
})

describe('ChatService: proving the contact\'s identity', () => {
  it(`one rendezvous answer that fails to verify is retried; ${AUTH_FAILURES_BEFORE_WARNING} in a row show a warning, and nothing is delivered`, async () => {
    vi.mocked(connectToContact).mockClear()
    vi.mocked(connectToContact).mockImplementation(async () => { throw new RendezvousAuthError() })
    try {
      const { svc, i, profile } = await start()
      const c = await addContact(profile, svc)
      expect(await svc.send(c.id, 'hello')).toBe(true)
      const warningOf = (): string | null => svc.getSnapshot().conversations.find(x => x.contactId === c.id)?.warning ?? null
      const attempts = (): number => vi.mocked(connectToContact).mock.calls.length
      const backoff = (svc as unknown as { sessions: { backoff: { success: (k: string) => void } } }).sessions.backoff
      for (let n = 1; n <= AUTH_FAILURES_BEFORE_WARNING; n++) {
        backoff.success(c.id) // skip the reconnection delay
        i.tick()
        await vi.waitFor(() => { expect(attempts()).toBe(n) })
        await flushAsync()
        expect(warningOf()).toBe(n < AUTH_FAILURES_BEFORE_WARNING ? null : IDENTITY_UNPROVEN_WARNING)
      }
      expect(svc.getSnapshot().conversations.find(x => x.contactId === c.id)?.standing).toBe('accepted')
      expect([...profile.messages.get(c.id)!.values()].map(m => m.status)).toEqual(['sending'])
    } finally {
      vi.mocked(connectToContact).mockImplementation(async () => await new Promise(() => {}))
    }
  })
})

describe('ChatService: notifications', () => {
  it('a message while the tab is hidden notifies who wrote, never what, and counts as unread', async () => {
    const shown: Array<[string, string]> = []
    const profile = fakeProfile()
    const svc = new ChatService({
      onion: fakeOnion(),
      identity: fakeIdentity(profile),
      notifier: { permission: () => 'granted', request: async () => {}, hidden: () => true, show: (title, body) => { shown.push([title, body]) } }
    })
    track(svc)
    const i = svc as unknown as Internals
    await vi.waitFor(() => { expect(i.starting).not.toBeNull() })
    await i.starting
    const c = await addContact(profile, svc)
    svc.open(c.id) // open, but the tab is hidden
    const [ours, theirs] = linkPair()
    const remote = remoteEnd(theirs)
    i.attach(i.peers.get(c.id), ours)
    for (const f of splitMessage(systemRandom(16), 1, 'secret words')) await remote.send(encodeChatFrame(f))
    await vi.waitFor(() => { expect(shown.length).toBe(1) })
    expect(shown[0]).toEqual(['Shallot', 'New message from Bob'])
    expect(JSON.stringify(shown)).not.toContain('secret')
    expect(svc.getSnapshot().conversations.find(x => x.contactId === c.id)?.unread).toBe(1)
    expect(svc.getSnapshot().notifications).toBe('granted')
  })
})
