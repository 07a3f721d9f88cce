import { useEffect, useId, useRef, useState } from 'react'
import './ConfirmButton.css'

/**
 * A destructive action behind an explicit confirmation: the first button
 * reveals a question with "confirm" and "cancel"; focus moves to cancel, and
 * Escape cancels.
 */
export function ConfirmButton ({ label, question, confirmLabel, onConfirm, disabled = false, className }: {
  label: string
  question: string
  confirmLabel: string
  onConfirm: () => void
  disabled?: boolean
  className?: string
}) {
  const id = useId()
  const [open, setOpen] = useState(false)
  const cancelRef = useRef<HTMLButtonElement>(null)
  useEffect(() => { if (open) cancelRef.current?.focus() }, [open])
  if (!open) {
    return <button type="button" className={className} disabled={disabled} onClick={() => { setOpen(true) }}>{label}</button>
  }
  return (
    <div
      className="confirm" role="alertdialog" aria-modal="false" aria-labelledby={`${id}-q`}
      onKeyDown={(e) => { if (e.key === 'Escape') setOpen(false) }}
    >
      <p id={`${id}-q`}>{question}</p>
      <div className="button-row">
        <button type="button" className="danger" onClick={() => { setOpen(false); onConfirm() }}>{confirmLabel}</button>
        <button type="button" className="secondary" ref={cancelRef} onClick={() => { setOpen(false) }}>Cancel</button>
      </div>
    </div>
  )
}
