/**
 * The IndexedDB profile: identity keys as non-extractable CryptoKeys, and every
 * other value sealed with the storage key (seal.ts). Web Crypto calls happen
 * before a transaction opens, never inside one: an IndexedDB transaction
 * commits as soon as it waits on anything that is not an IndexedDB request.
 */
import { openProfileDb, type ContactRow, type ConversationRow, type MessageRow, type ProfileDb } from './db.ts'
import { importSigningKey, signWith } from './keys.ts'
import { RecordCipher, generateStorageKey } from './seal.ts'
import { wipeOrigin } from './nuke.ts'
import {
  IdentityExistsError,
  type Contact, type Conversation, type IssuedInvite, type Message, type NewIdentity, type Profile, type ProfileBackend, type StoredIdentity
} from './types.ts'

class IdbProfile implements Profile {
  constructor (
    private readonly db: ProfileDb,
    private readonly cipher: RecordCipher,
    private readonly signingKey: CryptoKey,
    readonly identity: StoredIdentity,
    private readonly onClose: () => void
  ) {}

  async sign (message: Uint8Array): Promise<Uint8Array> { return await signWith(this.signingKey, message) }

  async backupFile (): Promise<Uint8Array> {
    const row = await this.db.get('profile', 'backup')
    if (row == null) throw new Error('no backup stored')
    return (await this.cipher.open<{ file: Uint8Array }>('profile', ['backup'], row)).file
  }

  close (): void {
    this.db.close()
    this.onClose()
  }

  async putContact (contact: Contact): Promise<void> {
    const sealed = await this.cipher.seal('contacts', [contact.id], contact)
    await this.db.put('contacts', { id: contact.id, ...sealed })
  }

  async getContact (id: string): Promise<Contact | null> {
    const row = await this.db.get('contacts', id)
    return row == null ? null : await this.openContact(row)
  }

  async listContacts (): Promise<Contact[]> {
    const rows = await this.db.getAll('contacts')
    const list = await Promise.all(rows.map(async r => await this.openContact(r)))
    return list.sort((a, b) => a.addedAt - b.addedAt || (a.id < b.id ? -1 : 1))
  }

  private async openContact (row: ContactRow): Promise<Contact> {
    return await this.cipher.open<Contact>('contacts', [row.id], row)
  }

  async deleteContact (id: string): Promise<void> {
    const convIds = await this.conversationIdsOf(id)
    const tx = this.db.transaction(['contacts', 'conversations', 'messages'], 'readwrite')
    await tx.objectStore('contacts').delete(id)
    for (const c of convIds) {
      await tx.objectStore('conversations').delete(c)
      await tx.objectStore('messages').delete(messageRange(c))
    }
    await tx.done
  }

  async putConversation (conversation: Conversation): Promise<void> {
    const sealed = await this.cipher.seal('conversations', [conversation.id], conversation)
    await this.db.put('conversations', { id: conversation.id, contactId: conversation.contactId, ...sealed })
  }

  async listConversations (): Promise<Conversation[]> {
    const rows: ConversationRow[] = await this.db.getAll('conversations')
    return await Promise.all(rows.map(async r => await this.cipher.open<Conversation>('conversations', [r.id], r)))
  }

  async putMessage (conversationId: string, message: Message): Promise<void> {
    const sealed = await this.cipher.seal('messages', [conversationId, message.id], message)
    await this.db.put('messages', { conversationId, id: message.id, ...sealed })
  }

  async listMessages (conversationId: string): Promise<Message[]> {
    const rows: MessageRow[] = await this.db.getAll('messages', messageRange(conversationId))
    const list = await Promise.all(rows.map(async r => await this.cipher.open<Message>('messages', [r.conversationId, r.id], r)))
    return list.sort((a, b) => a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  async deleteConversation (conversationId: string): Promise<void> {
    const tx = this.db.transaction(['conversations', 'messages'], 'readwrite')
    await tx.objectStore('conversations').delete(conversationId)
    await tx.objectStore('messages').delete(messageRange(conversationId))
    await tx.done
  }

  async clearHistory (contactId: string): Promise<void> {
    const convIds = await this.conversationIdsOf(contactId)
    const tx = this.db.transaction('messages', 'readwrite')
    for (const c of convIds) await tx.store.delete(messageRange(c))
    await tx.done
  }

  /**
   * Issued invites are one sealed record in the profile store (key
   * 'invites'), so IndexedDB's keys show neither how many there are nor their
   * ids. Writes are chained: each reads the list the previous one wrote (the
   * Web Crypto step in between would end an IndexedDB transaction).
   */
  private inviteWrites: Promise<void> = Promise.resolve()

  async listIssuedInvites (): Promise<IssuedInvite[]> {
    const row = await this.db.get('profile', 'invites')
    if (row == null) return []
    return (await this.cipher.open<{ invites: IssuedInvite[] }>('profile', ['invites'], row)).invites
  }

  async putIssuedInvite (invite: IssuedInvite): Promise<void> {
    const write = this.inviteWrites.then(async () => {
      const list = (await this.listIssuedInvites()).filter(i => i.id !== invite.id)
      list.push(invite)
      list.sort((a, b) => a.createdAt - b.createdAt)
      await this.db.put('profile', await this.cipher.seal('profile', ['invites'], { invites: list }), 'invites')
    })
    this.inviteWrites = write.catch(() => {})
    await write
  }

  /** The contact's conversations: the 1:1 conversation (id = contact id) and any recorded with its contactId. */
  private async conversationIdsOf (contactId: string): Promise<string[]> {
    const keys = await this.db.getAllKeysFromIndex('conversations', 'byContact', contactId)
    return [...new Set([contactId, ...keys])]
  }
}

/** Every message key of a conversation: [id, ''] .. [id, []] (arrays sort after strings, IndexedDB §2.2). */
function messageRange (conversationId: string): IDBKeyRange {
  return IDBKeyRange.bound([conversationId, ''], [conversationId, []])
}

async function unlock (db: ProfileDb, onClose: () => void): Promise<Profile | null> {
  const tx = db.transaction(['keys', 'profile'], 'readonly')
  const [signing, storage, self] = await Promise.all([
    tx.objectStore('keys').get('signing'),
    tx.objectStore('keys').get('storage'),
    tx.objectStore('profile').get('self')
  ])
  await tx.done
  if (signing == null || storage == null || self == null) return null
  const cipher = new RecordCipher(storage)
  const identity = await cipher.open<StoredIdentity>('profile', ['self'], self)
  return new IdbProfile(db, cipher, signing, identity, onClose)
}

/** The browser's profile store. `onBlocking` runs when another tab deletes or upgrades the database. */
export function idbProfileBackend (onBlocking?: () => void): ProfileBackend {
  let db: ProfileDb | null = null
  /** A profile closed (tab lost the lock, or nuke): the connection is gone, open a new one next time. */
  const forget = (closed: ProfileDb) => (): void => { if (db === closed) db = null }
  const getDb = async (): Promise<ProfileDb> => {
    db ??= await openProfileDb(() => { db = null; onBlocking?.() })
    return db
  }
  return {
    async open () {
      const d = await getDb()
      return await unlock(d, forget(d))
    },
    async create (n: NewIdentity) {
      const d = await getDb()
      if (await d.get('keys', 'signing') != null) throw new IdentityExistsError()
      const signing = await importSigningKey(n.seed, n.publicKey)
      n.seed.fill(0)
      // Settings saved before the identity existed are sealed with a storage key already: keep it.
      const storage = await d.get('keys', 'storage') ?? await generateStorageKey()
      const cipher = new RecordCipher(storage)
      const identity: StoredIdentity = { publicKey: n.publicKey, displayName: n.displayName, createdAt: n.createdAt }
      const selfRow = await cipher.seal('profile', ['self'], identity)
      const backupRow = await cipher.seal('profile', ['backup'], { file: n.backup })
      const tx = d.transaction(['keys', 'profile'], 'readwrite')
      const keys = tx.objectStore('keys')
      if (await keys.get('signing') != null) { tx.abort(); throw new IdentityExistsError() }
      await keys.put(signing, 'signing')
      await keys.put(storage, 'storage')
      await tx.objectStore('profile').put(selfRow, 'self')
      await tx.objectStore('profile').put(backupRow, 'backup')
      await tx.done
      return new IdbProfile(d, cipher, signing, identity, forget(d))
    },
    async wipe () {
      db?.close()
      db = null
      await wipeOrigin()
    }
  }
}
