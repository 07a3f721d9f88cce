import type { BusyState } from '../../app/identity/index.ts'
import './Progress.css'

const LABELS: Record<BusyState['task'], string> = {
  create: 'Protecting your key with your passphrase…',
  restore: 'Unlocking the backup with your passphrase…',
  invite: 'Signing the invite…',
  nuke: 'Erasing…',
  accept: 'Saving the contact…',
  update: 'Saving…'
}

export function Progress ({ busy }: { busy: BusyState }) {
  const pct = busy.progress == null ? null : Math.round(busy.progress * 100)
  return (
    <div className="progress">
      {/* Only the task is announced; the percentage (every tick) is on the progress bar, read on demand. */}
      <span><span role="status">{LABELS[busy.task]}</span>{pct != null ? ` ${pct}%` : ''}</span>
      {busy.progress != null && <progress max={1} value={busy.progress} aria-label={LABELS[busy.task]} />}
    </div>
  )
}
