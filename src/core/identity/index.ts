/**
 * Identity formats (pure): the encrypted backup file, invite links, safety
 * numbers, display names and Ed25519 key encodings. See docs/IDENTITY.md.
 */
export * from './errors.ts'
export * from './base64url.ts'
export * from './keys.ts'
export * from './names.ts'
export * from './backup.ts'
export * from './invite.ts'
export * from './safety-number.ts'
