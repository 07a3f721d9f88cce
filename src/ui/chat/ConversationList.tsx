import { useEffect, useRef } from 'react'
import type { ChatSnapshot, ConversationView } from '../../app/chat/types.ts'
import { isoTime, listTime } from './time.ts'
import { REACH_WORDS, STANDING_BADGE } from './words.ts'
import './ConversationList.css'

/** The accessible name of a list entry: "Alice, 2 unread, reachable". */
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
  const badge = STANDING_BADGE[c.standing]
  return (
    <li>
      <button
        type="button" ref={buttonRef}
        className={`conv-entry${open ? ' conv-open' : ''}${c.unread > 0 ? ' conv-unread' : ''}`}
        aria-current={open ? 'true' : undefined}
        onClick={onOpen}
      >
        {/* The button's name is what it shows (WCAG 2.5.3, label in name), read in this order;
            the hidden commas keep the parts apart for a screen reader. */}
        <span className="conv-top">
          <span className="conv-name">{c.displayName}</span>
          {badge != null && <><span className="sr-only">, </span><span className={`badge conv-badge conv-badge-${c.standing}`}>{badge}</span></>}
          {c.lastMessage != null && (
            <><span className="sr-only">, </span><time className="conv-time" dateTime={isoTime(c.lastMessage.timestamp)}>{listTime(c.lastMessage.timestamp, nowMs)}</time></>
          )}
        </span>
        <span className="conv-bottom">
          <span className="sr-only">, </span><span className="conv-preview">{preview(c)}</span>
          {c.unread > 0 && <span className="conv-unread-count"><span className="sr-only">, </span>{c.unread > 99 ? '99+' : c.unread}<span className="sr-only"> unread</span></span>}
        </span>
        <span className={`conv-reach reach-${c.reach}`}>
          <span className="sr-only">, </span><span className="reach-dot" aria-hidden="true" />{REACH_WORDS[c.reach]}
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
