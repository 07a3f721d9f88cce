import type { ChatMessageView } from '../../app/chat/types.ts'
import { fullTime, isoTime, messageTime } from './time.ts'
import { DELIVERY_WORDS } from './words.ts'
import './MessageBubble.css'

const DELIVERY_MARK = { sending: '◌', sent: '✓', delivered: '✓✓', failed: '!' } as const

/**
 * One message. The text is a React text node only (never HTML); links are
 * neither linked nor fetched. Outgoing ones show their delivery state in words
 * ("Delivery: Delivered" to a screen reader; the mark is decoration).
 */
export function MessageBubble ({ message, nowMs, onRetry }: {
  message: ChatMessageView
  nowMs: number
  onRetry: () => void
}) {
  const out = message.direction === 'out'
  const delivery = out ? (message.delivery ?? 'sending') : null
  return (
    <li
      className={`msg msg-${message.direction}${delivery === 'failed' ? ' msg-failed' : ''}`}
      data-direction={message.direction}
      data-delivery={delivery ?? undefined}
    >
      <div className="msg-bubble">
        <p className="msg-text">{message.text}</p>
        <span className="msg-meta">
          <time dateTime={isoTime(message.timestamp)} title={fullTime(message.timestamp)}>{messageTime(message.timestamp, nowMs)}</time>
          {delivery != null && delivery !== 'failed' && (
            <span className="delivery" data-delivery={delivery}>
              <span className="sr-only">Delivery: </span><span aria-hidden="true" className="delivery-mark">{DELIVERY_MARK[delivery]}</span> {DELIVERY_WORDS[delivery]}
            </span>
          )}
        </span>
      </div>
      {delivery === 'failed' && (
        <div className="msg-failed-row">
          <span className="delivery" data-delivery="failed">
            <span className="sr-only">Delivery: </span><span aria-hidden="true" className="delivery-mark">{DELIVERY_MARK.failed}</span> {DELIVERY_WORDS.failed}
          </span>
          <button type="button" className="msg-retry" aria-label="Retry sending" onClick={onRetry}>Retry</button>
        </div>
      )}
    </li>
  )
}
