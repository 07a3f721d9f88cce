/**
 * Why a backup file or an invite link was refused. Every refusal is a named
 * subclass (for `instanceof`, tests and the UI) with a machine-readable
 * `reason`, and all are {@link ProtocolError}s: a backup file or a link is
 * untrusted input just like bytes from the network. The `message` of each is
 * plain user-facing text and never contains key material, names or file bytes.
 */
import { ProtocolError, type ProtocolErrorKind } from '../errors.ts'

export type BackupRejectReason =
  | 'not-a-backup' // wrong magic: another file format
  | 'unsupported-version' // a format version this build does not know (e.g. from a newer app)
  | 'truncated' // shorter than its header says
  | 'tampered' // checksum mismatch, trailing bytes, or inconsistent contents
  | 'weak-kdf' // KDF parameters below the importer's floor
  | 'unsupported-kdf' // unknown KDF, or parameters above the importer's ceiling
  | 'wrong-passphrase' // authenticated decryption failed with an intact file

export class BackupError extends ProtocolError {
  readonly reason: BackupRejectReason
  constructor (reason: BackupRejectReason, kind: ProtocolErrorKind, message: string) {
    super(kind, message)
    this.reason = reason
    this.name = 'BackupError'
  }
}

export class NotABackupError extends BackupError {
  constructor (message = 'This file is not a Shallot identity backup.') { super('not-a-backup', 'malformed-cell', message); this.name = 'NotABackupError' }
}

export class UnsupportedBackupVersionError extends BackupError {
  readonly version: number
  constructor (version: number) {
    super('unsupported-version', 'malformed-cell', `This backup uses format version ${version}, which this version of Shallot cannot read. Update Shallot and try again.`)
    this.version = version
    this.name = 'UnsupportedBackupVersionError'
  }
}

export class TruncatedBackupError extends BackupError {
  constructor (message = 'The backup file is incomplete (it was cut short).') { super('truncated', 'malformed-cell', message); this.name = 'TruncatedBackupError' }
}

export class TamperedBackupError extends BackupError {
  constructor (message = 'The backup file is damaged or was modified.') { super('tampered', 'bad-digest', message); this.name = 'TamperedBackupError' }
}

export class WeakKdfParamsError extends BackupError {
  constructor (message = 'The backup is protected with key-derivation settings weaker than Shallot accepts.') { super('weak-kdf', 'protocol-violation', message); this.name = 'WeakKdfParamsError' }
}

export class UnsupportedKdfError extends BackupError {
  constructor (message = 'The backup uses key-derivation settings this version of Shallot does not support.') { super('unsupported-kdf', 'malformed-cell', message); this.name = 'UnsupportedKdfError' }
}

export class WrongPassphraseError extends BackupError {
  constructor (message = 'Wrong passphrase: the backup could not be decrypted.') { super('wrong-passphrase', 'bad-digest', message); this.name = 'WrongPassphraseError' }
}

export type InviteRejectReason =
  | 'oversized' // longer than MAX_INVITE_FRAGMENT_CHARS / MAX_INVITE_BYTES
  | 'malformed' // not base64url, truncated, trailing bytes, bad field value
  | 'unsupported-version' // a version this build does not know
  | 'bad-signature' // Ed25519 signature does not verify (tampered)
  | 'expired' // past its expiry

export class InviteError extends ProtocolError {
  readonly reason: InviteRejectReason
  constructor (reason: InviteRejectReason, message: string) {
    super(reason === 'expired' ? 'expired' : 'malformed-cell', message)
    this.reason = reason
    this.name = 'InviteError'
  }
}

export class OversizedInviteError extends InviteError {
  constructor (message = 'This invite link is too long to be a Shallot invite.') { super('oversized', message); this.name = 'OversizedInviteError' }
}

export class MalformedInviteError extends InviteError {
  constructor (message = 'This invite link is damaged or incomplete.') { super('malformed', message); this.name = 'MalformedInviteError' }
}

export class UnsupportedInviteVersionError extends InviteError {
  readonly version: number
  constructor (version: number) {
    super('unsupported-version', version === 1
      // Version 1 had no invite secret, so no service would let its holder in (core/identity/invite.ts).
      ? 'This invite link is from an older version of Shallot and no longer works. Ask for a new one.'
      : `This invite uses format version ${version}, which this version of Shallot cannot read.`)
    this.version = version
    this.name = 'UnsupportedInviteVersionError'
  }
}

export class InviteSignatureError extends InviteError {
  constructor (message = 'This invite link was altered: its signature does not match.') { super('bad-signature', message); this.name = 'InviteSignatureError' }
}

export class ExpiredInviteError extends InviteError {
  constructor (message = 'This invite link has expired. Ask for a new one.') { super('expired', message); this.name = 'ExpiredInviteError' }
}
