import { useId, useRef, type FormEvent, type KeyboardEvent } from 'react'
import './Composer.css'

/** The largest message, in UTF-8 bytes (docs/RENDEZVOUS.md). */
export const MAX_MESSAGE_BYTES = 16384
const COUNTER_FROM = MAX_MESSAGE_BYTES * 0.8
const encoder = new TextEncoder()
const fmt = new Intl.NumberFormat()

/**
 * Typing and sending: Enter sends, Shift+Enter starts a new line. The text
 * (owned by the parent, so drafts survive switching conversations) is cleared
 * by the parent only once the message was accepted.
 */
export function Composer ({ name, value, onChange, onSend, error, disabledReason }: {
  name: string
  value: string
  onChange: (text: string) => void
  onSend: (text: string) => Promise<boolean>
  error: string | null
  /** Why sending is not possible right now, or null. */
  disabledReason: string | null
}) {
  const id = useId()
  const textRef = useRef<HTMLTextAreaElement>(null)
  const inFlight = useRef(false)
  const disabled = disabledReason != null
  const bytes = value.length * 3 < COUNTER_FROM ? 0 : encoder.encode(value).length
  const showCounter = bytes > COUNTER_FROM
  const over = bytes > MAX_MESSAGE_BYTES
  const empty = value.trim() === ''

  const submit = (): void => {
    if (disabled || empty || inFlight.current) return
    inFlight.current = true
    void onSend(value).catch(() => false).finally(() => { inFlight.current = false })
    textRef.current?.focus()
  }
  const onSubmit = (e: FormEvent): void => { e.preventDefault(); submit() }
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): void => {
    // Not while an input method is composing (Enter there picks a candidate).
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing && e.keyCode !== 229) {
      e.preventDefault()
      submit()
    }
  }
  const described = [disabled ? `${id}-why` : null, showCounter ? `${id}-count` : null, error != null ? `${id}-err` : null]
    .filter(Boolean).join(' ')

  return (
    <form className="composer" aria-label="Send a message" onSubmit={onSubmit}>
      {error != null && <p className="composer-error" role="alert" id={`${id}-err`}>{error}</p>}
      {disabled && <p className="composer-why muted" id={`${id}-why`}>{disabledReason}</p>}
      <div className="composer-row">
        <textarea
          ref={textRef} aria-label="Message" rows={1}
          placeholder={disabled ? '' : `Message ${name}`}
          value={value} disabled={disabled}
          aria-describedby={described === '' ? undefined : described}
          aria-invalid={over || undefined}
          onChange={(e) => { onChange(e.target.value) }}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="composer-send" disabled={disabled || empty}>Send</button>
      </div>
      {showCounter && (
        <p className={`composer-count${over ? ' composer-count-over' : ''}`} id={`${id}-count`}>
          {over ? 'Too long: ' : ''}{fmt.format(bytes)} / {fmt.format(MAX_MESSAGE_BYTES)} bytes
        </p>
      )}
    </form>
  )
}
