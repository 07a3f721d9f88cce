import { useId, useState, type FormEvent, type ReactNode } from 'react'
import { MIN_PASSPHRASE_LENGTH, type IdentitySnapshot, type IdentityActions } from '../../app/identity/index.ts'
import { MAX_BACKUP_BYTES } from '../../core/identity/backup.ts'
import { NoticeLine } from './Notice.tsx'
import { PrivacySummary } from './PrivacySummary.tsx'
import { Progress } from './Progress.tsx'
import './FirstRun.css'

/** No identity yet: create one, or restore one from a backup file. `extra`: more first-run choices (the network's). */
export function FirstRun ({ snapshot, actions, extra }: { snapshot: IdentitySnapshot, actions: IdentityActions, extra?: ReactNode }) {
  const id = useId()
  const [name, setName] = useState('')
  const [pass, setPass] = useState('')
  const [confirm, setConfirm] = useState('')
  const [file, setFile] = useState<File | null>(null)
  const [restorePass, setRestorePass] = useState('')
  const busy = snapshot.busy

  const onCreate = (e: FormEvent): void => {
    e.preventDefault()
    void actions.createIdentity(name, pass, confirm).then((ok) => { if (ok) { setPass(''); setConfirm('') } })
  }
  const onRestore = (e: FormEvent): void => {
    e.preventDefault()
    if (file == null) return
    // Read no more than a backup can be: a huge file is refused without loading it.
    void file.slice(0, MAX_BACKUP_BYTES + 1).arrayBuffer()
      .then(async (buf) => await actions.restoreFromBackup(new Uint8Array(buf), restorePass))
      .then((ok) => { if (ok) setRestorePass('') })
  }

  return (
    <section className="panel identity-first-run" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Your identity</h2>
      <p>
        Your identity is a signing key that lives only in this browser. Choose a name and a passphrase:
        an encrypted backup is made now, and the passphrase is the only way to open it.
      </p>
      <PrivacySummary />
      {extra}
      <NoticeLine snapshot={snapshot} area="first-run" onDismiss={() => { actions.dismissNotice() }} />
      {busy != null && <Progress busy={busy} />}
      <div className="identity-forms">
        <form onSubmit={onCreate} aria-labelledby={`${id}-create`}>
          <h3 id={`${id}-create`}>Create a new identity</h3>
          <label htmlFor={`${id}-name`}>Display name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => { setName(e.target.value) }} autoComplete="nickname" maxLength={64} required />
          <label htmlFor={`${id}-pass`}>Passphrase</label>
          <input id={`${id}-pass`} type="password" value={pass} onChange={(e) => { setPass(e.target.value) }} autoComplete="new-password" minLength={MIN_PASSPHRASE_LENGTH} required aria-describedby={`${id}-pass-hint`} />
          <small id={`${id}-pass-hint`} className="muted">At least {MIN_PASSPHRASE_LENGTH} characters. If you forget it, the backup cannot be opened.</small>
          <label htmlFor={`${id}-confirm`}>Repeat passphrase</label>
          <input id={`${id}-confirm`} type="password" value={confirm} onChange={(e) => { setConfirm(e.target.value) }} autoComplete="new-password" required />
          <button type="submit" disabled={busy != null}>Create identity</button>
        </form>
        <form onSubmit={onRestore} aria-labelledby={`${id}-restore`}>
          <h3 id={`${id}-restore`}>Restore from backup</h3>
          <label htmlFor={`${id}-file`}>Backup file</label>
          <input id={`${id}-file`} type="file" accept=".shallot-backup,application/octet-stream" onChange={(e) => { setFile(e.target.files?.[0] ?? null) }} required />
          <label htmlFor={`${id}-rpass`}>Backup passphrase</label>
          <input id={`${id}-rpass`} type="password" value={restorePass} onChange={(e) => { setRestorePass(e.target.value) }} autoComplete="current-password" required />
          <button type="submit" disabled={busy != null || file == null}>Restore identity</button>
        </form>
      </div>
    </section>
  )
}
