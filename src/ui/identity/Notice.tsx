import type { IdentitySnapshot, Notice } from '../../app/identity/index.ts'

/** The store's last message, shown where it belongs: errors as alerts, successes as status. */
export function NoticeLine ({ snapshot, area, onDismiss }: { snapshot: IdentitySnapshot, area: Notice['area'], onDismiss: () => void }) {
  const n = snapshot.notice
  if (n == null || n.area !== area) return null
  return (
    <div className={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
      <span>{n.text}</span>
      <button type="button" className="secondary" onClick={onDismiss} aria-label="Dismiss message">×</button>
    </div>
  )
}
