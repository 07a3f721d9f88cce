import type { RelayWorkView } from '../app/relay-directory.ts'

export interface RelayWorkStatusProps {
  view: RelayWorkView
}

/** Progress as a share of the expected attempts (the effort), never shown as done before it is. */
function percent (attempts: number, effort: number): number {
  return Math.min(99, Math.floor((attempts / effort) * 100))
}

/**
 * Whether other tabs list this tab as a relay yet: its descriptor needs a
 * proof of work (a few seconds, once an hour, in the background). Chatting
 * does not wait for it: circuits go through other tabs' relays meanwhile.
 */
export function RelayWorkStatus ({ view }: RelayWorkStatusProps) {
  switch (view.phase) {
    case 'waiting':
      return <p className="muted" data-testid="relay-work">Waiting to prepare this tab's relay identity…</p>
    case 'working':
      return (
        <p className="muted" data-testid="relay-work">
          Preparing this tab's relay identity (a proof of work, so fake relays cost something):{' '}
          <progress max={100} value={percent(view.attempts, view.effort)} aria-label="Relay identity preparation" />{' '}
          {percent(view.attempts, view.effort)}%. You can chat meanwhile.
        </p>
      )
    case 'ready':
      return <p className="muted" data-testid="relay-work">This tab is listed as a relay.</p>
    case 'too-costly':
      return <p className="muted" data-testid="relay-work">The network asks more work than this tab spends to be listed as a relay; it chats through other relays.</p>
  }
}
