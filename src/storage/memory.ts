/**
 * An in-memory {@link ProfileBackend} for unit tests (Node has no IndexedDB).
 * Same behaviour as the IndexedDB one, without encryption at rest: the signing
 * key is still a non-extractable Web Crypto key.
 */
import { importSigningKey, signWith } from './keys.ts'
import { IdentityExistsError, type Contact, type Conversation, type IssuedInvite, type Message, type NewIdentity, type Profile, type ProfileBackend, type StoredIdentity } from './types.ts'

interface MemoryState {
  identity: StoredIdentity
  signingKey: CryptoKey
  backup: Uint8Array
  contacts: Map<string, Contact>
  conversations: Map<string, Conversation>
  messages: Map<string, Map<string, Message>>
  invites: Map<string, IssuedInvite>
}

class MemoryProfile implements Profile {
  constructor (private readonly s: MemoryState) {}
  get identity (): StoredIdentity { return this.s.identity }
  async sign (m: Uint8Array): Promise<Uint8Array> { return await signWith(this.s.signingKey, m) }
  async backupFile (): Promise<Uint8Array> { return this.s.backup.slice() }
  close (): void {}
  async putContact (c: Contact): Promise<void> { this.s.contacts.set(c.id, structuredClone(c)) }
  async getContact (id: string): Promise<Contact | null> { return structuredClone(this.s.contacts.get(id)) ?? null }
  async listContacts (): Promise<Contact[]> { return [...this.s.contacts.values()].map(c => structuredClone(c)).sort((a, b) => a.addedAt - b.addedAt) }
  async deleteContact (id: string): Promise<void> {
    for (const c of this.conversationIdsOf(id)) await this.deleteConversation(c)
    this.s.contacts.delete(id)
  }
  async putConversation (c: Conversation): Promise<void> { this.s.conversations.set(c.id, { ...c }) }
  async listConversations (): Promise<Conversation[]> { return [...this.s.conversations.values()] }
  async putMessage (conversationId: string, m: Message): Promise<void> {
    let conv = this.s.messages.get(conversationId)
    if (conv == null) { conv = new Map(); this.s.messages.set(conversationId, conv) }
    conv.set(m.id, { ...m })
  }
  async listMessages (conversationId: string): Promise<Message[]> {
    return [...(this.s.messages.get(conversationId)?.values() ?? [])].map(m => ({ ...m }))
      .sort((a, b) => a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }
  async deleteConversation (conversationId: string): Promise<void> {
    this.s.conversations.delete(conversationId)
    this.s.messages.delete(conversationId)
  }
  async clearHistory (contactId: string): Promise<void> {
    for (const c of this.conversationIdsOf(contactId)) this.s.messages.delete(c)
  }
  async listIssuedInvites (): Promise<IssuedInvite[]> { return [...this.s.invites.values()].map(i => structuredClone(i)).sort((a, b) => a.createdAt - b.createdAt) }
  async putIssuedInvite (i: IssuedInvite): Promise<void> { this.s.invites.set(i.id, structuredClone(i)) }
  private conversationIdsOf (contactId: string): string[] {
    return [contactId, ...[...this.s.conversations.values()].filter(c => c.contactId === contactId).map(c => c.id)]
  }
}

export interface MemoryProfileBackend extends ProfileBackend {
  /** Number of create() calls that wrote an identity (tests check "nothing changed"). */
  readonly writes: number
  readonly hasIdentity: boolean
}

export function memoryProfileBackend (): MemoryProfileBackend {
  let state: MemoryState | null = null
  let writes = 0
  return {
    get writes () { return writes },
    get hasIdentity () { return state != null },
    async open () { return state == null ? null : new MemoryProfile(state) },
    async create (n: NewIdentity) {
      if (state != null) throw new IdentityExistsError()
      const signingKey = await importSigningKey(n.seed, n.publicKey)
      n.seed.fill(0)
      state = {
        identity: { publicKey: n.publicKey.slice(), displayName: n.displayName, createdAt: n.createdAt },
        signingKey,
        backup: n.backup.slice(),
        contacts: new Map(),
        conversations: new Map(),
        messages: new Map(),
        invites: new Map()
      }
      writes++
      return new MemoryProfile(state)
    },
    async wipe () { state = null }
  }
}
