/**
 * The backup file: downloading the profile's stored backup and restoring an
 * identity from one, plus the key-derivation options and progress both the
 * backup and a new identity's first backup use.
 *
 * The threat: a backup file can be copied anywhere, and someone may try
 * passphrases on it or hand us a damaged or forged one. Restoring writes
 * nothing unless the file opens with the passphrase and the key inside
 * checks out (core/identity/backup.ts): a wrong passphrase, a modified,
 * truncated or foreign file leaves the browser's storage as it was and only
 * shows why. The restored profile keeps the very file it came from as its
 * backup, so it stays sealed under the same passphrase.
 */
import { BACKUP_FILE_NAME, decryptBackup, type KdfParams } from '../../core/identity/index.ts'
import type { Profile } from '../../storage/types.ts'
import { KDF_PROGRESS_STEPS } from './constants.ts'
import { ERROR_TEXT, errorText } from './errors.ts'
import type { IdentityHost } from './host.ts'
import type { BusyState, IdentitySnapshot, IdentityStoreDeps } from './types.ts'

/** The deps' test-only KDF settings as options for core's encryptBackup/decryptBackup. */
export function kdfOptions (deps: IdentityStoreDeps): { params?: KdfParams, unsafeAllowWeakKdfForTests?: boolean } {
  return {
    ...(deps.kdfParams != null ? { params: deps.kdfParams } : {}),
    ...(deps.unsafeAllowWeakKdfForTests === true ? { unsafeAllowWeakKdfForTests: true } : {})
  }
}

/**
 * An onProgress for the key-derivation function that shows `task` as busy
 * with its progress, at most once per step (KDF_PROGRESS_STEPS per run).
 */
export function kdfProgress (set: (patch: Partial<IdentitySnapshot>) => void, task: BusyState['task']): (f: number) => void {
  let last = -1
  return (f) => {
    const step = Math.floor(f * KDF_PROGRESS_STEPS)
    if (step !== last) { last = step; set({ busy: { task, progress: f } }) }
  }
}

/** What restoring needs beyond the shared host: taking the restored profile as the unlocked one. */
export interface BackupHost extends IdentityHost {
  adopt (profile: Profile): void
}

export class Backups {
  constructor (private readonly host: BackupHost) {}

  /** Restore from a backup file. Nothing is written unless the file opens and the key checks out. */
  async restore (file: Uint8Array, passphrase: string): Promise<boolean> {
    const h = this.host
    if (h.snapshot().phase !== 'first-run' || h.snapshot().busy != null) return false
    h.set({ busy: { task: 'restore', progress: 0 }, notice: null })
    try {
      const contents = await decryptBackup(file, passphrase, {
        onProgress: kdfProgress((p) => { h.set(p) }, 'restore'),
        ...(h.deps.unsafeAllowWeakKdfForTests === true ? { unsafeAllowWeakKdfForTests: true } : {})
      })
      h.adopt(await h.deps.backend.create({ ...contents, backup: file.slice() }))
      h.set({ busy: null, notice: { kind: 'success', area: 'you', text: 'Your identity was restored.' } })
      await h.refresh()
      return true
    } catch (e) {
      h.set({ busy: null, notice: { kind: 'error', area: 'first-run', text: errorText(e, ERROR_TEXT.restoreFailed) } })
      return false
    }
  }

  /** The backup file to download (the one stored when the identity was made or restored). */
  async file (): Promise<{ bytes: Uint8Array, fileName: string } | null> {
    const p = this.host.profile()
    if (p == null) return null
    try {
      return { bytes: await p.backupFile(), fileName: BACKUP_FILE_NAME }
    } catch {
      this.host.set({ notice: { kind: 'error', area: 'you', text: ERROR_TEXT.backupUnreadable } })
      return null
    }
  }
}
