import { useState } from 'react'
import type { ChatActions, ChatSnapshot } from '../../app/chat/types.ts'
import { ConversationList } from './ConversationList.tsx'
import { ConversationView } from './ConversationView.tsx'
import './ChatArea.css'

/**
 * The messenger: conversation list and the open conversation side by side
 * on wide screens, one at a time on phones. Renders the chat snapshot and
 * calls the actions; the only state here is the unsent drafts.
 */
export function ChatArea ({ snapshot, actions, now = Date.now }: { snapshot: ChatSnapshot, actions: ChatActions, now?: () => number }) {
  const [drafts, setDrafts] = useState<Readonly<Record<string, string>>>({})
  const open = snapshot.openId == null ? null : snapshot.conversations.find(c => c.contactId === snapshot.openId) ?? null
  const onDraftChange = (contactId: string, update: (draft: string) => string): void => {
    setDrafts(d => {
      const next = update(d[contactId] ?? '')
      if (next === (d[contactId] ?? '')) return d
      const copy = { ...d }
      if (next === '') delete copy[contactId]
      else copy[contactId] = next
      return copy
    })
  }
  return (
    <div className={`panel chat ${open != null ? 'chat-with-open' : 'chat-without-open'}`}>
      <ConversationList
        conversations={snapshot.conversations} openId={snapshot.openId} notifications={snapshot.notifications} now={now}
        onOpen={(cid) => { actions.open(cid) }}
        onAskNotifications={() => { void actions.askNotifications() }}
      />
      {open != null
        ? (
          <ConversationView
            key={open.contactId}
            conversation={open} messages={snapshot.messages} path={snapshot.path} composerError={snapshot.composerError}
            now={now} actions={actions} draft={drafts[open.contactId] ?? ''} onDraftChange={onDraftChange}
          />
          )
        : (
          <div className="chat-placeholder">
            <p className="muted">{snapshot.conversations.length === 0 ? 'Your conversations will appear here.' : 'Choose a conversation.'}</p>
          </div>
          )}
    </div>
  )
}
