/**
 * Fakes for the chat service's tests: an in-memory profile, a fake identity
 * store and onion layer (nothing reachable), and pairs of fake joined
 * circuits that carry e2e frames between two ends. Private members are
 * reached through a cast ({@link Internals}): the tests drive introductions,
 * links and payloads directly. Test-only (imported by *.test.ts).
 */
import { expect, vi } from 'vitest'
import { fromHex, toHex } from '../../core/bytes.ts'
import { decodeChatFrame } from '../../core/chat/index.ts'
import { E2eSession, inviteProof, verifyInviteProof } from '../../core/rendezvous/index.ts'
import { systemRandom } from '../../core/random.ts'
import type { Contact, IssuedInvite, Message, Profile } from '../../storage/types.ts'
import type { IdentityStore } from '../identity/store.ts'
import type { OnionService } from '../onion/index.ts'
import type { IncomingIntroduction, InviteClaimCheck, RendezvousLink } from '../onion-service/index.ts'
import { ChatService } from './service.ts'

export interface FakeProfile extends Profile {
  contacts: Map<string, Contact>
  invites: Map<string, IssuedInvite>
  messages: Map<string, Map<string, Message>>
  failPuts: number
}

export function fakeProfile (): FakeProfile {
  const contacts = new Map<string, Contact>()
  const messages = new Map<string, Map<string, Message>>()
  const invites = new Map<string, IssuedInvite>()
  const p = {
    identity: { publicKey: systemRandom(32), displayName: 'Me', createdAt: 0 },
    contacts,
    messages,
    invites,
    failPuts: 0,
    sign: async () => new Uint8Array(64),
    backupFile: async () => new Uint8Array(0),
    close: () => {},
    putContact: async (c: Contact) => { contacts.set(c.id, c) },
    getContact: async (id: string) => contacts.get(id) ?? null,
    listContacts: async () => [...contacts.values()],
    deleteContact: async (id: string) => { contacts.delete(id) },
    putConversation: async () => {},
    listConversations: async () => [],
    putMessage: async (cid: string, m: Message) => {
      if (p.failPuts > 0) { p.failPuts--; throw new Error('storage unavailable') }
      let conv = messages.get(cid)
      if (conv == null) { conv = new Map(); messages.set(cid, conv) }
      conv.set(m.id, m)
    },
    listMessages: async (cid: string) => [...(messages.get(cid)?.values() ?? [])],
    deleteConversation: async (cid: string) => { messages.delete(cid) },
    clearHistory: async (cid: string) => { messages.delete(cid) },
    listIssuedInvites: async () => [...invites.values()],
    putIssuedInvite: async (i: IssuedInvite) => { invites.set(i.id, i) }
  }
  return p as unknown as FakeProfile
}

export function fakeIdentity (profile: FakeProfile): IdentityStore & { current: FakeProfile | null, fire: () => void } {
  const listeners: Array<() => void> = []
  const s = {
    current: profile as FakeProfile | null,
    unlockedProfile: () => s.current,
    subscribe: (l: () => void) => { listeners.push(l); return () => {} },
    contactsChanged: async () => {},
    getSnapshot: () => ({ contacts: [] }),
    fire: () => { for (const l of listeners) l() }
  }
  return s as unknown as IdentityStore & { current: FakeProfile | null, fire: () => void }
}

export const fakeOnion = (): OnionService => ({
  start: async () => {},
  chooseDestination: () => { throw new Error('no relays') },
  buildCircuitTo: async () => await new Promise(() => {}),
  buildCircuit: async () => await new Promise(() => {}),
  buildRendezvousPointCircuit: async () => await new Promise(() => {}),
  ringMembers: () => [],
  selfRelay: null,
  onionRouter: null
}) as unknown as OnionService

export class FakeCircuit {
  state: 'open' | 'closed' = 'open'
  readonly path = [{ peerId: 'g' }, { peerId: 'm' }, { peerId: 'rp' }]
  other: FakeCircuit | null = null
  onData: ((d: Uint8Array) => void) | null = null
  private readonly closers: Array<(e: Error) => void> = []
  written = 0
  failWrites = 0
  attachStream (_id: number, onData: (d: Uint8Array) => void): void { this.onData = onData }
  onClose (l: (e: Error) => void): () => void { this.closers.push(l); return () => {} }
  keepAlive (): void {}
  async write (_id: number, d: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw new Error('closed')
    if (this.failWrites > 0) { this.failWrites--; throw new Error('write failed') }
    this.written++
    const to = this.other
    queueMicrotask(() => { if (to?.state === 'open') to.onData?.(d) })
  }

  destroy (): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    for (const l of this.closers.splice(0)) l(new Error('destroyed'))
    this.other?.destroy()
  }
}

export function linkPair (): [RendezvousLink & { circuit: FakeCircuit }, RendezvousLink & { circuit: FakeCircuit }] {
  const a = new FakeCircuit()
  const b = new FakeCircuit()
  a.other = b; b.other = a
  const k1 = systemRandom(32)
  const k2 = systemRandom(32)
  return [
    { circuit: a, keys: { send: k1, receive: k2 }, hops: [] } as unknown as RendezvousLink & { circuit: FakeCircuit },
    { circuit: b, keys: { send: k2, receive: k1 }, hops: [] } as unknown as RendezvousLink & { circuit: FakeCircuit }
  ]
}

export interface Internals {
  starting: Promise<void> | null
  peers: Map<string, { contact: Contact, links: unknown[], outbox: { get: (id: string) => { state: string } | null, size: number }, owed: Map<string, unknown> }>
  requests: { onIntroduction: (i: IncomingIntroduction) => Promise<void> }
  attach: (peer: unknown, link: RendezvousLink) => void
  tick: () => void
}

const services: ChatService[] = []
/** Stop every service the tests started (call from afterEach). */
export function stopServices (): void { for (const s of services.splice(0)) s.stop() }

/** Keep `svc` to stop after the test. */
export function track (svc: ChatService): ChatService { services.push(svc); return svc }

export async function start (profile = fakeProfile()): Promise<{ svc: ChatService, i: Internals, profile: FakeProfile, identity: ReturnType<typeof fakeIdentity> }> {
  const identity = fakeIdentity(profile)
  const svc = new ChatService({ onion: fakeOnion(), identity })
  track(svc)
  const i = svc as unknown as Internals
  await vi.waitFor(() => { expect(i.starting).not.toBeNull() })
  await i.starting
  return { svc, i, profile, identity }
}

export async function addContact (profile: FakeProfile, svc: ChatService, state: Contact['state'] = 'accepted', extra: Partial<Contact> = {}): Promise<Contact> {
  const c: Contact = { id: toHex(systemRandom(16)), publicKey: systemRandom(32), displayName: 'Bob', relays: [], state, verified: false, addedAt: 0, ...extra }
  await profile.putContact(c)
  await (svc as unknown as { syncContacts: () => Promise<void> }).syncContacts()
  return c
}

/** An introduction as the service hands it to the request policy; `invite` is what it proves (null: none). */
export function introduction (clientKey: Uint8Array, accept: () => Promise<RendezvousLink>, name = 'Mallory', invite: InviteClaimCheck | null = null): IncomingIntroduction {
  return { intro: { rp: { peerId: 'rp', nodeId: new Uint8Array(32), onionKey: new Uint8Array(32) }, cookie: new Uint8Array(20), clientKey, clientStaticKey: new Uint8Array(32), clientName: name, timestamp: 0 }, invite, accept }
}

/** An invite this profile issued (as Invites.create keeps it), valid for a day unless told otherwise. */
export async function issueInvite (profile: FakeProfile, over: Partial<IssuedInvite> = {}): Promise<IssuedInvite> {
  const invite: IssuedInvite = { id: toHex(systemRandom(16)), secret: systemRandom(32), createdAt: Date.now(), expiresAt: Date.now() + 86_400_000, revoked: false, ...over }
  await profile.putIssuedInvite(invite)
  return invite
}

/**
 * What the service would hand over for an INTRODUCE from `clientKey` with
 * ephemeral X `X` carrying the real HMAC proof (core/rendezvous/invite-proof.ts)
 * made with `secret` over `provenX` (default: X itself).
 */
export function inviteClaim (profile: FakeProfile, clientKey: Uint8Array, invite: { id: string, secret: Uint8Array }, opts: { X?: Uint8Array, provenX?: Uint8Array } = {}): InviteClaimCheck {
  const X = opts.X ?? systemRandom(32)
  const inviteId = fromHex(invite.id)
  const transcript = { serviceKey: profile.identity.publicKey, clientKey, clientEphemeral: X }
  const proof = inviteProof(inviteId, invite.secret, { ...transcript, clientEphemeral: opts.provenX ?? X })
  return { inviteId, proves: (secret) => verifyInviteProof({ inviteId, proof }, secret, transcript) }
}

/** A stranger's introduction proving `invite` (a fresh key unless given). */
export function strangerWith (profile: FakeProfile, invite: IssuedInvite, accept: () => Promise<RendezvousLink>, key = systemRandom(32), name = 'Mallory'): IncomingIntroduction {
  return introduction(key, accept, name, inviteClaim(profile, key, invite))
}

/** The other end of a link: seals/opens frames like a ChatLink, records what it got. */
export function remoteEnd (link: RendezvousLink & { circuit: FakeCircuit }): { got: Array<ReturnType<typeof decodeChatFrame>>, send: (payload: Uint8Array) => Promise<void> } {
  const session = new E2eSession(link.keys)
  const got: Array<ReturnType<typeof decodeChatFrame>> = []
  link.circuit.attachStream(1, (frame) => { got.push(decodeChatFrame(session.open(frame))) })
  return { got, send: async (payload) => { await link.circuit.write(1, session.seal(payload)) } }
}

export const never = async (): Promise<RendezvousLink> => await new Promise(() => {})
export const flushAsync = async (): Promise<void> => { for (let k = 0; k < 20; k++) await new Promise(resolve => setTimeout(resolve, 0)) }
