/**
 * Settings at rest: one sealed record in the profile database, under the
 * same non-extractable storage key as the rest of the profile (seal.ts). A
 * tab needs its network settings before it has an identity (the first-run
 * screen offers "hide my IP"), so the storage key is made on first save when
 * there is none yet; creating an identity later keeps it (profile.ts).
 *
 * The record is opaque here: the app layer owns its shape and validates it
 * on load (an old or damaged record reads as "no settings", never a crash).
 */
import { openProfileDb, type ProfileDb } from './db.ts'
import { generateStorageKey, RecordCipher } from './seal.ts'

export interface SettingsBackend {
  /** The stored value, or null when there is none or it cannot be opened. */
  load(name: string): Promise<unknown>
  save(name: string, value: unknown): Promise<void>
}

async function storageKey (db: ProfileDb): Promise<CryptoKey> {
  const existing = await db.get('keys', 'storage')
  if (existing != null) return existing
  const made = await generateStorageKey()
  // Another tab may have made one meanwhile: keep whichever landed first.
  const tx = db.transaction('keys', 'readwrite')
  const raced = await tx.store.get('storage')
  if (raced == null) await tx.store.put(made, 'storage')
  await tx.done
  return raced ?? made
}

/** Settings in the IndexedDB profile. */
export function idbSettingsBackend (): SettingsBackend {
  let db: ProfileDb | null = null
  const getDb = async (): Promise<ProfileDb> => {
    db ??= await openProfileDb(() => { db = null })
    return db
  }
  return {
    async load (name) {
      const d = await getDb()
      const [key, row] = await Promise.all([d.get('keys', 'storage'), d.get('settings', name)])
      if (key == null || row == null) return null
      try {
        return await new RecordCipher(key).open<unknown>('settings', [name], row)
      } catch {
        return null
      }
    },
    async save (name, value) {
      const d = await getDb()
      const sealed = await new RecordCipher(await storageKey(d)).seal('settings', [name], value)
      await d.put('settings', sealed, name)
    }
  }
}

/** Settings in memory, for unit tests. */
export function memorySettingsBackend (): SettingsBackend & { readonly stored: Map<string, unknown> } {
  const stored = new Map<string, unknown>()
  return {
    stored,
    async load (name) { return structuredClone(stored.get(name)) ?? null },
    async save (name, value) { stored.set(name, structuredClone(value)) }
  }
}
