import { useEffect, useId, useRef } from 'react'
import type { ChatSnapshot, ConversationView } from '../../app/chat/types.ts'
import { isoTime, listTime } from './time.ts'
import { REACH_WORDS, STANDING_BADGE } from './words.ts'
import './ConversationList.css'

/** The accessible name of a list entry: "Alice, 2 unread, reachable". */
function entryLabel (c: ConversationView): string {
  const parts = [c.displayName]
  if (c.unread > 0) parts.push(`${c.unread} unread`)
  parts.push(REACH_WORDS[c.reach])
  if (c.standing === 'request') parts.push('chat request')
  else if (c.standing === 'pending') parts.push('pending')
  else if (c.standing === 'declined') parts.push('declined')
  if (c.warning != null) parts.push('security warning')
  return parts.join(', ')
}

function preview (c: ConversationView): string {
  if (c.lastMessage != null) return (c.lastMessage.direction === 'out' ? 'You: ' : '') + c.lastMessage.text
  if (c.standing === 'request') return 'Wants to chat with you'
  if (c.standing === 'pending') return 'Waiting for them to accept'
  return 'No messages yet'
}

function ConversationEntry ({ c, open, nowMs, onOpen, buttonRef }: {
  c: ConversationView
  open: boolean
  nowMs: number
  onOpen: () => void
  buttonRef: (el: HTMLButtonElement | null) => void
}) {
  const id = useId()
  const badge = STANDING_BADGE[c.standing]
  return (
    <li>
      <button
        type="button" ref={buttonRef}
        className={`conv-entry${open ? ' conv-open' : ''}${c.unread > 0 ? ' conv-unread' : ''}`}
        aria-label={entryLabel(c)} aria-describedby={`${id}-preview`} aria-current={open ? 'true' : undefined}
        onClick={onOpen}
      >
        <span className="conv-top">
          <span className="conv-name">{c.displayName}</span>
          {badge != null && <span className={`badge conv-badge conv-badge-${c.standing}`}>{badge}</span>}
          {c.lastMessage != null && (
            <time className="conv-time" dateTime={isoTime(c.lastMessage.timestamp)}>{listTime(c.lastMessage.timestamp, nowMs)}</time>
          )}
        </span>
        <span className="conv-bottom">
          <span className="conv-preview" id={`${id}-preview`}>{preview(c)}</span>
          {/* The button's name (entryLabel) says "N unread"; a span can't carry a label of its own. */}
          {c.unread > 0 && <span className="conv-unread-count">{c.unread > 99 ? '99+' : c.unread}</span>}
        </span>
        <span className={`conv-reach reach-${c.reach}`}>
          <span className="reach-dot" aria-hidden="true" />{REACH_WORDS[c.reach]}
          {c.warning != null && <span className="conv-warning"> · security warning</span>}
        </span>
      </button>
    </li>
  )
}

/** Every conversation, newest first as given; the open one marked. */
export function ConversationList ({ conversations, openId, notifications, now, onOpen, onAskNotifications }: {
  conversations: ChatSnapshot['conversations']
  openId: string | null
  notifications: ChatSnapshot['notifications']
  now: () => number
  onOpen: (contactId: string) => void
  onAskNotifications: () => void
}) {
  const buttons = useRef(new Map<string, HTMLButtonElement>())
  // Coming back from a conversation (phones: "Back"), focus returns to its entry.
  const prevOpen = useRef(openId)
  useEffect(() => {
    const prev = prevOpen.current
    prevOpen.current = openId
    if (prev != null && openId == null) buttons.current.get(prev)?.focus()
  }, [openId])
  const nowMs = now()
  return (
    <section className="chat-list" aria-label="Conversations">
      <div className="chat-list-head">
        <h2>Conversations</h2>
        {notifications === 'default' && (
          <button type="button" className="secondary chat-notify" onClick={onAskNotifications}>Notify me of new messages</button>
        )}
      </div>
      {conversations.length === 0
        ? <p className="muted chat-empty">No conversations yet. Share your invite link, or open someone else's.</p>
        : (
          <ul className="plain-list conv-list" aria-label="Conversation list">
            {conversations.map(c => (
              <ConversationEntry
                key={c.contactId} c={c} open={c.contactId === openId} nowMs={nowMs}
                onOpen={() => { onOpen(c.contactId) }}
                buttonRef={(el) => { if (el != null) buttons.current.set(c.contactId, el); else buttons.current.delete(c.contactId) }}
              />
            ))}
          </ul>
          )}
    </section>
  )
}
