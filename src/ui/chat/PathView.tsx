import type { ConversationPath } from '../../app/chat/types.ts'
import '../circuit-path.css'
import './PathView.css'

/**
 * The circuit of a conversation as far as this tab can see it: this tab, our
 * relays (the last is the rendezvous point), then the contact, whose own
 * relays stay hidden from us.
 */
export function PathView ({ path, name, id }: { path: ConversationPath, name: string, id?: string }) {
  const last = path.hops.length - 1
  return (
    <div className="chat-path" id={id}>
      {path.hops.length === 0
        ? <p className="muted" role="status">Building the path…</p>
        : (
          <ol className="circuit-path" aria-label="Circuit path">
            <li className="hop hop-open">This tab</li>
            {path.hops.map((h, i) => (
              <li key={i} className={`hop${i === last ? ' hop-rendezvous' : ''}`}>
                <span className="mono">{h}</span>
                {i === last && <span className="muted"> rendezvous point</span>}
              </li>
            ))}
            {path.joined && <li className="hop hop-hidden">{name} (hidden)</li>}
          </ol>
          )}
      <p className="muted chat-path-note">
        {path.joined
          ? `${name}'s relays are not visible to you, and yours are not visible to ${name}: you meet only at the rendezvous point.`
          : `${name} has not reached the rendezvous point yet. Their relays will not be visible to you.`}
      </p>
    </div>
  )
}
