/**
 * Browser storage: the encrypted IndexedDB profile (identity keys, contacts,
 * conversations, messages) and the origin-wide nuke. See docs/IDENTITY.md.
 */
export * from './types.ts'
export { DB_NAME, SCHEMA_VERSION } from './db.ts'
export { idbProfileBackend } from './profile.ts'
export { generateIdentityKey, importSigningKey, signWith, type GeneratedIdentityKey } from './keys.ts'
export { RecordCipher, generateStorageKey, type Sealed } from './seal.ts'
export { wipeOrigin, type WipeReport } from './nuke.ts'
export { memoryProfileBackend, type MemoryProfileBackend } from './memory.ts'
export { idbSettingsBackend, memorySettingsBackend, type SettingsBackend } from './settings.ts'
