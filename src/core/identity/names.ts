/**
 * Display names: what a user calls themselves, carried in backups and invites.
 * Untrusted when it comes from a link, so it is bounded, normalised (Unicode
 * NFC) and stripped of control and bidirectional-override characters before it
 * is shown; the UI renders it as plain text only.
 */
export const MAX_DISPLAY_NAME_BYTES = 64

// C0/C1 controls, and the bidi embedding/override/isolate characters that can
// make a name display as something else (Unicode TR #9).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

/** Normalised name, or null when it is empty, too long, or contains forbidden characters. */
export function normalizeDisplayName (raw: string): string | null {
  const name = raw.normalize('NFC').trim()
  if (name.length === 0 || FORBIDDEN.test(name)) return null
  if (new TextEncoder().encode(name).length > MAX_DISPLAY_NAME_BYTES) return null
  return name
}

/** UTF-8 bytes of a passphrase after Unicode NFC normalisation (the same typed passphrase on every platform). */
export function passphraseBytes (passphrase: string): Uint8Array {
  return new TextEncoder().encode(passphrase.normalize('NFC'))
}
