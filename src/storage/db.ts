/**
 * The IndexedDB schema (through `idb`). The schema version is IndexedDB's own
 * database version; `upgrade` runs each migration from the stored version up,
 * in order, inside the versionchange transaction. To change the schema: bump
 * SCHEMA_VERSION and append a step to MIGRATIONS (never edit an old step).
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb'
import type { Sealed } from './seal.ts'

export const DB_NAME = 'shallot-profile'
export const SCHEMA_VERSION = 2

export type SealedRow = Sealed
export interface ContactRow extends Sealed { readonly id: string }
export interface ConversationRow extends Sealed { readonly id: string, readonly contactId: string }
export interface MessageRow extends Sealed { readonly conversationId: string, readonly id: string }

export interface ProfileSchema extends DBSchema {
  /** 'signing' → Ed25519 private key, 'storage' → AES-GCM key; both non-extractable CryptoKeys. */
  keys: { key: string, value: CryptoKey }
  /** 'self' → sealed StoredIdentity, 'backup' → sealed backup file. */
  profile: { key: string, value: SealedRow }
  contacts: { key: string, value: ContactRow }
  conversations: { key: string, value: ConversationRow, indexes: { byContact: string } }
  messages: { key: [string, string], value: MessageRow }
  /** 'network' → sealed network settings (relays, hide my IP); kept with or without an identity. */
  settings: { key: string, value: SealedRow }
}

export type ProfileDb = IDBPDatabase<ProfileSchema>
type UpgradeTx = IDBPTransaction<ProfileSchema, Array<StoreNames<ProfileSchema>>, 'versionchange'>

/** MIGRATIONS[i] upgrades a database at version i to version i + 1. */
const MIGRATIONS: Array<(db: ProfileDb, tx: UpgradeTx) => void> = [
  // 0 → 1: initial schema
  (db) => {
    db.createObjectStore('keys')
    db.createObjectStore('profile')
    db.createObjectStore('contacts', { keyPath: 'id' })
    db.createObjectStore('conversations', { keyPath: 'id' }).createIndex('byContact', 'contactId')
    db.createObjectStore('messages', { keyPath: ['conversationId', 'id'] })
  },
  // 1 → 2: settings (sealed with the storage key, which may now exist before an identity does)
  (db) => {
    db.createObjectStore('settings')
  }
]

export async function openProfileDb (onBlocking?: () => void): Promise<ProfileDb> {
  return await openDB<ProfileSchema>(DB_NAME, SCHEMA_VERSION, {
    upgrade (db, oldVersion, _newVersion, tx) {
      for (let v = oldVersion; v < SCHEMA_VERSION; v++) MIGRATIONS[v]?.(db, tx)
    },
    // Another tab wants to upgrade or delete the database: let it.
    blocking (_current, _blocked, event) {
      (event.target as IDBDatabase).close()
      onBlocking?.()
    }
  })
}
