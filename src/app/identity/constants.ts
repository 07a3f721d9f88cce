/**
 * The identity layer's numbers. The passphrase minimum is the app's own rule
 * on top of the backup's key-derivation function (core/identity/backup.ts):
 * a backup file may be copied anywhere, so the passphrase alone stands
 * between a stolen file and the identity key.
 */

/** Shortest passphrase accepted for a new identity, in characters (code points). */
export const MIN_PASSPHRASE_LENGTH = 10

/** Random bytes in a contact's local id (hex in the store); unguessable, so ids reveal nothing. */
export const CONTACT_ID_BYTES = 16

/** Progress of the key-derivation function is shown at most this many times per run (once per whole percent). */
export const KDF_PROGRESS_STEPS = 100
