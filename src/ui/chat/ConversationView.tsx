import { useEffect, useId, useLayoutEffect, useRef, useState } from 'react'
import type { ChatActions, ChatSnapshot, ConversationView as Conversation } from '../../app/chat/types.ts'
import { Composer } from './Composer.tsx'
import { ContactInfo } from './ContactInfo.tsx'
import { MessageBubble } from './MessageBubble.tsx'
import { PathView } from './PathView.tsx'
import { RequestBanner } from './RequestBanner.tsx'
import { reachLine } from './words.ts'
import './ConversationView.css'

/** How close to the bottom (px) still counts as "reading the newest". */
const NEAR_BOTTOM = 80

function MessageList ({ messages, nowMs, onRetry }: {
  messages: ChatSnapshot['messages']
  nowMs: number
  onRetry: (messageId: string) => void
}) {
  const scrollRef = useRef<HTMLDivElement>(null)
  // The ref decides scrolling (read in the effect), the state shows the button.
  const atBottomRef = useRef(true)
  const [atBottom, setAtBottom] = useState(true)
  const last = messages[messages.length - 1]
  const lastId = last?.id ?? ''
  const lastOut = last?.direction === 'out'
  // Follow the newest message when it arrives, unless the reader scrolled up
  // to read older ones (a message of our own always brings us down).
  useLayoutEffect(() => {
    const el = scrollRef.current
    if (el != null && (atBottomRef.current || lastOut)) el.scrollTop = el.scrollHeight
  }, [lastId, lastOut])
  const onScroll = (): void => {
    const el = scrollRef.current
    if (el == null) return
    const near = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM
    atBottomRef.current = near
    setAtBottom(near)
  }
  return (
    <div className="chat-scroll" ref={scrollRef} onScroll={onScroll}>
      {messages.length === 0 && <p className="muted chat-no-messages">No messages yet.</p>}
      <ol className="msg-list" aria-label="Messages">
        {messages.map(m => <MessageBubble key={m.id} message={m} nowMs={nowMs} onRetry={() => { onRetry(m.id) }} />)}
      </ol>
      {!atBottom && (
        <button
          type="button" className="chat-jump"
          onClick={() => { const el = scrollRef.current; if (el != null) el.scrollTop = el.scrollHeight }}
        >
          Jump to newest message
        </button>
      )}
    </div>
  )
}

/** The open conversation: header, warnings, request state, messages, composer. */
export function ConversationView ({ conversation, messages, path, composerError, now, actions, draft, onDraftChange }: {
  conversation: Conversation
  messages: ChatSnapshot['messages']
  path: ChatSnapshot['path']
  composerError: string | null
  now: () => number
  actions: ChatActions
  draft: string
  onDraftChange: (contactId: string, update: (draft: string) => string) => void
}) {
  const id = useId()
  const c = conversation
  const name = c.displayName
  const [infoOpen, setInfoOpen] = useState(false)
  const headingRef = useRef<HTMLHeadingElement>(null)
  // On a phone the list disappears when a conversation opens: move focus here.
  useEffect(() => {
    if (window.matchMedia('(max-width: 640px)').matches) headingRef.current?.focus()
  }, [])

  const disabledReason = c.standing === 'request'
    ? `Accept ${name}'s request to reply.`
    : c.standing === 'declined' ? 'You can read the history, but no new messages can be sent.' : null
  const send = async (text: string): Promise<boolean> => {
    const ok = await actions.send(c.contactId, text)
    // Clear only what was sent: text typed since then stays.
    if (ok) onDraftChange(c.contactId, d => d === text ? '' : d)
    return ok
  }

  return (
    <section className="chat-conversation" aria-label={`Conversation with ${name}`}>
      {c.warning != null && <div className="chat-warning" role="alert">{c.warning}</div>}
      <header className="chat-head">
        <button type="button" className="secondary chat-back" onClick={() => { actions.open(null) }}>
          <span aria-hidden="true">← </span>Back
        </button>
        <div className="chat-head-title">
          <h2 ref={headingRef} tabIndex={-1}>
            {name}
            {c.verified && <span className="badge badge-connected chat-head-badge">verified</span>}
          </h2>
          {/* Not a live region: the contact's reach changes on every reconnect, and would be read out each time. */}
          <p className={`chat-reach reach-${c.reach}`}>
            <span className="reach-dot" aria-hidden="true" />{reachLine(c.reach, name, disabledReason == null)}
          </p>
        </div>
        <div className="chat-head-actions">
          <button
            type="button" className="secondary" aria-expanded={infoOpen} aria-controls={`${id}-info`}
            onClick={() => { setInfoOpen(!infoOpen) }}
          >
            Contact info
          </button>
          <button
            type="button" className="secondary" aria-expanded={path != null} aria-controls={`${id}-path`}
            onClick={() => { actions.togglePath(c.contactId) }}
          >
            {path != null ? 'Hide path' : 'Show path'}
          </button>
        </div>
      </header>
      {(infoOpen || path != null) && (
        <div className="chat-drawer">
          {infoOpen && <ContactInfo conversation={c} id={`${id}-info`} />}
          {path != null && <PathView path={path} name={name} id={`${id}-path`} />}
        </div>
      )}
      <RequestBanner
        name={name} standing={c.standing}
        onAccept={async () => { await actions.accept(c.contactId) }}
        onDecline={async () => { await actions.decline(c.contactId) }}
        onShowSafetyNumber={() => { setInfoOpen(true) }}
      />
      <MessageList messages={messages} nowMs={now()} onRetry={(mid) => { actions.retry(c.contactId, mid) }} />
      <Composer
        name={name} value={draft} onChange={(t) => { onDraftChange(c.contactId, () => t) }}
        onSend={send} error={composerError} disabledReason={disabledReason}
      />
    </section>
  )
}
